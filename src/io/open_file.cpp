#include "io/open_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>

namespace dbb::io {

namespace {

Result<OpenedFile> OpenFile(const std::string& path, const OpenSpec& spec) {
  OpenedFile file;
  // The engine first: a forced engine the kernel refuses must not create or truncate the file.
  Result<IoEngine> engine = ChooseEngine(spec.engine, path, file.choice);
  if (!engine.ok()) return engine.status();
  file.choice.engine = *engine;

  const bool write = spec.op == Op::kWrite;
  const int flags = (write ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY) | O_CLOEXEC;
  // 0600: backups hold the database's contents; whoever needs wider access can change it.
  const int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) return Status::FromErrno(errno, (write ? "create " : "open ") + path);
  file.fd = UniqueFd(fd);

  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::FromErrno(errno, "stat " + path);
  if (!S_ISREG(st.st_mode)) {
    return Status(StatusCode::kInvalidArgument, path + " is not a regular file");
  }
  file.size_bytes = static_cast<uint64_t>(st.st_size);
  DBB_RETURN_IF_ERROR(ChooseDirect(spec.direct, fd, st.st_dev, path, file.choice));
  return file;
}

// The BlockIo for an opened file (whose fd must outlive it); may add to file.choice.reason.
Result<std::unique_ptr<BlockIo>> MakeBlockIo(const std::string& path, Op op, OpenedFile& file,
                                             const AlignedBuffers& buffers) {
  const IoTarget target{.fd = file.fd.get(), .path = path, .op = op, .direct = file.choice.direct};
  if (file.choice.engine == IoEngine::kUring) return MakeUringIo(target, buffers, file.choice);
  return MakeSyncIo(target, buffers);
}

}  // namespace

Result<OpenedIo> OpenIo(const std::string& path, const OpenSpec& spec) {
  Result<AlignedBuffers> buffers = AlignedBuffers::Allocate(spec.buffer_bytes, spec.buffer_count);
  if (!buffers.ok()) return buffers.status();
  Result<OpenedFile> file = OpenFile(path, spec);
  if (!file.ok()) return file.status();
  Result<std::unique_ptr<BlockIo>> io = MakeBlockIo(path, spec.op, *file, *buffers);
  if (!io.ok()) return io.status();
  return OpenedIo{.file = std::move(file).value(),
                  .buffers = std::move(buffers).value(),
                  .io = std::move(io).value()};
}

}  // namespace dbb::io
