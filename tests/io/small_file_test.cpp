#include "io/small_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "support/test_util.h"

namespace dbb::io {
namespace {

using dbb::testing::TempDir;

unsigned Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

bool Exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

TEST(WriteFileAtomic, WritesOwnerOnlyAndLeavesNoTempFile) {
  TempDir dir;
  const std::string path = dir.file("manifest.json");
  ASSERT_TRUE(WriteFileAtomic(path, "{\"a\": 1}\n").ok());
  EXPECT_EQ(ReadSmallFile(path, 1024).value(), "{\"a\": 1}\n");
  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_FALSE(Exists(path + ".tmp"));
  // Replacing is atomic too: the old contents until the rename, the new ones after.
  ASSERT_TRUE(WriteFileAtomic(path, "second").ok());
  EXPECT_EQ(ReadSmallFile(path, 1024).value(), "second");
}

TEST(WriteFileAtomic, FailsNamingThePathWhenTheDirectoryIsMissing) {
  TempDir dir;
  const Status st = WriteFileAtomic(dir.file("missing/manifest.json"), "x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kIoError);
  EXPECT_NE(st.message().find("missing/manifest.json.tmp"), std::string::npos) << st.message();
}

TEST(ReadSmallFile, RefusesFilesOverTheLimit) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.file("f"), std::string(4097, 'x')).ok());
  EXPECT_EQ(ReadSmallFile(dir.file("f"), 4097).value().size(), 4097u);
  const auto r = ReadSmallFile(dir.file("f"), 4096);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(ReadSmallFile(dir.file("none"), 10).status().sys_errno(), ENOENT);
}

TEST(PrepareEmptyDir, CreatesMissingDirectoriesOwnerOnly) {
  TempDir dir;
  const std::string target = dir.file("a/b/backup");
  EXPECT_TRUE(PrepareEmptyDir(target).value()) << "created";
  EXPECT_EQ(Mode(target), 0700u);
  EXPECT_EQ(Mode(dir.file("a")), 0700u);
  EXPECT_FALSE(PrepareEmptyDir(target).value()) << "an empty directory is fine, and kept";
}

TEST(PrepareEmptyDir, RefusesANonEmptyDirectory) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.file("old"), "x").ok());
  const Status st = PrepareEmptyDir(dir.path()).status();
  EXPECT_EQ(st.code(), StatusCode::kRefused);
  EXPECT_EQ(st.message(), "backup dir " + dir.path() +
                              " is not empty; choose a new or empty directory (dbbackup never "
                              "overwrites a backup)");
}

TEST(PrepareEmptyDir, RefusesAFileAndAPathUnderAFile) {
  TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.file("f"), "x").ok());
  const Status st = PrepareEmptyDir(dir.file("f")).status();
  EXPECT_EQ(st.code(), StatusCode::kRefused);
  EXPECT_NE(st.message().find("is not a directory"), std::string::npos) << st.message();
  const Status under = PrepareEmptyDir(dir.file("f/backup")).status();
  EXPECT_EQ(under.code(), StatusCode::kRefused) << under.message();
  EXPECT_NE(under.message().find("Not a directory"), std::string::npos) << under.message();
}

TEST(FsyncDir, NamesAMissingDirectory) {
  TempDir dir;
  EXPECT_TRUE(FsyncDir(dir.path()).ok());
  const Status st = FsyncDir(dir.file("none"));
  EXPECT_EQ(st.sys_errno(), ENOENT);
  EXPECT_NE(st.message().find(dir.file("none")), std::string::npos);
}

TEST(TempFile, IsPrivateAndRemovedAtScopeEnd) {
  TempDir dir;
  ::setenv("TMPDIR", dir.path().c_str(), 1);
  std::string path;
  {
    TempFile f;
    ASSERT_TRUE(f.Create("dbb-test").ok());
    path = f.path();
    ::unsetenv("TMPDIR");
    EXPECT_EQ(path.rfind(dir.file("dbb-test."), 0), 0u) << path;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0) << path << " is still there";
}

}  // namespace
}  // namespace dbb::io
