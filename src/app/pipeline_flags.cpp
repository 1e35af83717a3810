#include "app/pipeline_flags.h"

#include <thread>

#include "common/units.h"

namespace dbb::app {

void AddPipelineFlags(CLI::App* cmd, PipelineFlags* f) {
  cmd->add_option("--compress-engine", f->engine,
                  "isal (gzip levels 0-3, fastest), libdeflate (gzip 1-12, smaller) or zstd "
                  "(1-19; .zst files)")
      ->capture_default_str();
  cmd->add_option("--compress-level", f->level,
                  "compression level (default: isal 1, libdeflate 6, zstd 1)");
  cmd->add_option("--compress-threads", f->threads, "compression threads (default: one per CPU)");
  cmd->add_option("--page-size", f->page_size,
                  "uncompressed bytes per page = per gzip member (64KiB-32MiB, multiple of 4KiB)")
      ->capture_default_str();
  cmd->add_option("--pages", f->pages,
                  "pages in the pool (default: open files + 4 x threads); memory is pages x size");
  cmd->add_option("--io-engine", f->io_engine,
                  "auto, uring or pwrite (auto falls back to pwrite where io_uring is refused)")
      ->capture_default_str();
  cmd->add_option("--direct-io", f->direct,
                  "auto, on or off (auto falls back to buffered where O_DIRECT is refused)")
      ->capture_default_str();
}

Result<compress::PipelineOptions> ToPipelineOptions(const PipelineFlags& f) {
  compress::PipelineOptions o;
  auto engine = compress::ParseEngine(f.engine);
  if (!engine.ok()) return engine.status().WithContext("--compress-engine");
  o.codec = {.engine = engine.value(),
             .level = f.level < 0 ? compress::DefaultLevel(engine.value()) : f.level};
  DBB_RETURN_IF_ERROR(compress::ValidateCodec(o.codec).WithContext("--compress-level"));
  o.threads = f.threads ? f.threads : std::max(1u, std::thread::hardware_concurrency());
  auto page = ParseBytes(f.page_size);
  if (!page.ok()) return page.status().WithContext("--page-size");
  o.page_bytes = static_cast<size_t>(page.value());
  o.page_count = f.pages;
  if (f.io_engine == "auto")
    o.writer.engine = io::IoEngine::kAuto;
  else if (f.io_engine == "uring")
    o.writer.engine = io::IoEngine::kUring;
  else if (f.io_engine == "pwrite")
    o.writer.engine = io::IoEngine::kPwrite;
  else
    return Status(StatusCode::kInvalidArgument, "--io-engine: use auto, uring or pwrite");
  if (f.direct == "auto")
    o.writer.direct = io::DirectMode::kAuto;
  else if (f.direct == "on")
    o.writer.direct = io::DirectMode::kOn;
  else if (f.direct == "off")
    o.writer.direct = io::DirectMode::kOff;
  else
    return Status(StatusCode::kInvalidArgument, "--direct-io: use auto, on or off");
  DBB_RETURN_IF_ERROR(compress::ValidatePipeline(o));
  return o;
}

}  // namespace dbb::app
