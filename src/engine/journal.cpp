#include "engine/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/units.h"
#include "engine/manifest_json.h"
#include "io/small_file.h"

namespace dbb::engine {
namespace {

using nlohmann::json;

// A plan line lists every file of the run (10000 tables of 100 chunks: ~100 MB); beyond that
// something else is in the file.
constexpr uint64_t kMaxJournalBytes = 4 * kGiB;

json PlanToJson(const std::vector<PlannedTable>& plan) {
  json tables = json::array();
  for (const PlannedTable& t : plan) {
    json files = json::array();
    for (const DataFile& f : t.files) {
      json j = {{"file", f.file}};
      if (f.blocks) {
        j["first"] = f.blocks->first;
        j["end"] = f.blocks->end ? json(*f.blocks->end) : json(nullptr);
      }
      files.push_back(std::move(j));
    }
    tables.push_back({{"oid", t.oid},
                      {"schema", t.schema},
                      {"name", t.name},
                      {"columns", t.columns},
                      {"binary", t.binary},
                      {"files", std::move(files)}});
  }
  return tables;
}

std::vector<PlannedTable> PlanFromJson(const json& tables) {
  std::vector<PlannedTable> plan;
  for (const json& t : tables) {
    PlannedTable p{.oid = t.at("oid").get<uint32_t>(),
                   .schema = t.at("schema").get<std::string>(),
                   .name = t.at("name").get<std::string>(),
                   .columns = t.at("columns").get<std::vector<std::string>>(),
                   .binary = t.at("binary").get<bool>()};
    for (const json& f : t.at("files")) {
      DataFile file{.file = f.at("file").get<std::string>()};
      if (f.contains("first")) {
        file.blocks = pg::BlockRange{.first = f.at("first").get<uint64_t>()};
        if (!f.at("end").is_null()) file.blocks->end = f.at("end").get<uint64_t>();
      }
      p.files.push_back(std::move(file));
    }
    plan.push_back(std::move(p));
  }
  return plan;
}

void ApplyLine(const json& j, Journal* journal) {
  if (j.contains("journal")) {
    journal->identity = {.database = j.at("database").get<std::string>(),
                         .compression = j.at("compression").get<std::string>(),
                         .selection = j.at("selection").get<std::string>(),
                         .large_objects = j.at("large_objects").get<std::string>()};
  } else if (j.contains("run")) {
    if (j.contains("done")) {
      DataFile f = FileFromJson(j.at("done"));
      const std::string name = f.file;
      journal->done[name] = {.file = std::move(f), .run = j.at("run").get<int>()};
    } else {
      journal->runs.push_back({.run = j.at("run").get<int>(),
                               .snapshot = j.at("snapshot").get<std::string>(),
                               .started_at = j.at("started_at").get<std::string>()});
    }
  } else if (j.contains("plan")) {
    journal->plan = PlanFromJson(j.at("plan"));
  }
}

}  // namespace

Result<Journal> ReadJournal(const std::string& dir) {
  const std::string path = dir + "/" + kJournalName;
  auto text = io::ReadSmallFile(path, kMaxJournalBytes);
  if (!text.ok()) return text.status();
  Journal journal;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text->size();) {
    size_t end = text->find('\n', pos);
    const bool last = end == std::string::npos || end + 1 == text->size();
    if (end == std::string::npos) end = text->size();
    ++line_no;
    try {
      ApplyLine(json::parse(text->substr(pos, end - pos)), &journal);
      if (end < text->size()) journal.valid_bytes = end + 1;
    } catch (const json::exception& e) {
      // Only the last line can be torn by a crash (Append cuts it off before writing more).
      if (!last) {
        return Status(StatusCode::kCorrupt,
                      path + ": line " + std::to_string(line_no) + " does not parse (" + e.what() +
                          "); the journal is damaged: remove " + dir + " and run the backup again");
      }
    }
    pos = end + 1;
  }
  if (journal.identity.database.empty()) {
    return Status(StatusCode::kCorrupt,
                  path + ": no identity line; remove " + dir + " and run the backup again");
  }
  return journal;
}

Result<std::unique_ptr<JournalWriter>> JournalWriter::Create(const std::string& dir,
                                                             const JournalIdentity& identity) {
  const std::string path = dir + "/" + kJournalName;
  io::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600));
  if (fd.get() < 0) return Status::FromErrno(errno, "create " + path);
  std::unique_ptr<JournalWriter> w(new JournalWriter(path, std::move(fd)));
  const json j = {{"journal", 1},
                  {"database", identity.database},
                  {"compression", identity.compression},
                  {"selection", identity.selection},
                  {"large_objects", identity.large_objects}};
  DBB_RETURN_IF_ERROR(w->AppendLine(j.dump()));
  return w;
}

Result<std::unique_ptr<JournalWriter>> JournalWriter::Append(const std::string& dir,
                                                             const Journal& journal) {
  const std::string path = dir + "/" + kJournalName;
  io::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open " + path);
  // A torn last line (a crash mid-append) goes, or it would swallow the next one.
  if (::ftruncate(fd.get(), static_cast<off_t>(journal.valid_bytes)) != 0) {
    return Status::FromErrno(errno, "truncate " + path);
  }
  return std::unique_ptr<JournalWriter>(new JournalWriter(path, std::move(fd)));
}

Status JournalWriter::BeginRun(const JournalRun& run, const std::vector<PlannedTable>& plan) {
  const json r = {{"run", run.run}, {"snapshot", run.snapshot}, {"started_at", run.started_at}};
  DBB_RETURN_IF_ERROR(AppendLine(r.dump()));
  return AppendLine(json{{"plan", PlanToJson(plan)}}.dump());
}

Status JournalWriter::Done(const DataFile& file, int run) {
  return AppendLine(json{{"done", FileToJson(file)}, {"run", run}}.dump());
}

Status JournalWriter::AppendLine(const std::string& line) {
  const std::string text = line + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  // O_APPEND and one write per line: lines never interleave, and a crash tears at most the last.
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "write " + path_);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace dbb::engine
