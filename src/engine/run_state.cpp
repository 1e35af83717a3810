#include "engine/run_state.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "common/log.h"

namespace dbb::engine {

void RunState::Fail(const Status& status) {
  if (status.ok()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!first_error_.ok() || stop_->requested()) return;
    first_error_ = status;
  }
  stop_->Request(status.message());
}

Status RunState::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!first_error_.ok()) return first_error_;
  if (stop_->requested()) {
    const int sig = stop_->signal();
    return Status(StatusCode::kCancelled,
                  std::string("interrupted by ") + (sig == SIGTERM  ? "SIGTERM"
                                                    : sig == SIGINT ? "SIGINT"
                                                                    : stop_->reason()));
  }
  return Status::Ok();
}

void RunState::AddCreated(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  created_.push_back(path);
}

void RunState::AddCreatedTree(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  created_trees_.push_back(path);
}

void RunState::RemoveCreated() {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& tree : created_trees_) {
    std::error_code ec;
    std::filesystem::remove_all(tree, ec);
    if (ec) log::Warn("could not remove " + tree + " after the failure: " + ec.message());
  }
  created_trees_.clear();
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    // A directory is added before the files in it, so walking backwards empties it first.
    if (::unlink(it->c_str()) == 0 || errno == ENOENT) continue;
    if (errno == EISDIR && ::rmdir(it->c_str()) == 0) continue;
    log::Warn("could not remove " + *it + " after the failure: " + std::strerror(errno));
  }
  created_.clear();
}

void RunState::CountRetry() {
  ++retries_;
  if (progress_ != nullptr) progress_->AddError();
}

}  // namespace dbb::engine
