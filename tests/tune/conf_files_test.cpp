#include "tune/conf_files.h"

#include <gtest/gtest.h>

#include "tune/audit.h"
#include "tune/recommended.h"

namespace dbb::tune {
namespace {

TEST(ParseSysctlConf, KeysValuesCommentsAndIgnoreErrorsPrefix) {
  const auto lines = ParseSysctlConf(
      "# comment\n; also a comment\n\nvm.swappiness=10\n  vm.dirty_ratio = 5  \n"
      "-net.core.somaxconn = 1024\nnot a setting\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].key, "vm.swappiness");
  EXPECT_EQ(lines[0].value, "10");
  EXPECT_EQ(lines[1].key, "vm.dirty_ratio");
  EXPECT_EQ(lines[1].value, "5");
  EXPECT_EQ(lines[2].key, "net.core.somaxconn");
}

TEST(ParseLimitsConf, DomainsTypesAndUnlimited) {
  const auto lines = ParseLimitsConf(
      "# c\n*  soft nofile 1024\n@dba hard nproc unlimited\nroot - nofile 65536\n"
      "alice bogus nofile 1\nbob soft nofile many\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].domain, "*");
  EXPECT_EQ(lines[0].value, 1024u);
  EXPECT_EQ(lines[1].domain, "@dba");
  EXPECT_EQ(lines[1].value, kUnlimited);
  EXPECT_EQ(lines[2].type, "-");
  EXPECT_EQ(LimitText(kUnlimited), "unlimited");
}

TEST(ParseUdevRules, KernelAlternativesAndQueueAttributes) {
  const auto rules = ParseUdevRules(
      "ACTION==\"add\", KERNEL==\"sd[a-z]*|hd[a-z]\", ATTR{queue/scheduler}=\"mq-deadline\"\n"
      "ACTION==\"add\", KERNEL==\"loop*\", RUN+=\"/bin/true\"\n");
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].kernel_patterns, (std::vector<std::string>{"sd[a-z]*", "hd[a-z]"}));
  EXPECT_EQ(rules[0].attrs.at("queue/scheduler"), "mq-deadline");
  EXPECT_EQ(MatchUdevRule(rules, "hdb"), &rules[0]);
  EXPECT_EQ(MatchUdevRule(rules, "loop0"), nullptr);
}

// The recommendations come from the repository's files; these are the judgements they encode.
TEST(RecommendedFiles, UdevRuleChoosesNoneForNvmeAndVirtualDisksMqDeadlineForSata) {
  const auto rules = ParseUdevRules(UdevFile().text);
  for (const char* disk : {"nvme0n1", "nvme12n3", "vda", "xvdb"}) {
    ASSERT_NE(MatchUdevRule(rules, disk), nullptr) << disk;
    EXPECT_EQ(MatchUdevRule(rules, disk)->attrs.at("queue/scheduler"), "none") << disk;
  }
  ASSERT_NE(MatchUdevRule(rules, "sdb"), nullptr);
  EXPECT_EQ(MatchUdevRule(rules, "sdb")->attrs.at("queue/scheduler"), "mq-deadline");
  for (const char* disk : {"sda", "nvme0n1", "vda"}) {
    EXPECT_EQ(MatchUdevRule(rules, disk)->attrs.at("queue/add_random"), "0") << disk;
  }
  EXPECT_EQ(MatchUdevRule(rules, "mmcblk0"), nullptr);
}

TEST(RecommendedFiles, SysctlAndLimitsHoldTheAuditedSettings) {
  std::vector<std::string> keys;
  for (const SysctlLine& l : ParseSysctlConf(SysctlFile().text)) keys.push_back(l.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"vm.dirty_background_ratio", "vm.dirty_ratio",
                                            "vm.swappiness"}));
  for (const LimitLine& l : ParseLimitsConf(LimitsFile().text)) {
    EXPECT_EQ(l.item, "nofile");  // nproc is audited, never set: a line would lower it
    EXPECT_NE(l.type, "-");
  }
  // The file documents the nproc minimum the audit uses.
  EXPECT_NE(LimitsFile().text.find("at least " + std::to_string(kNprocMinimum)),
            std::string_view::npos);
  EXPECT_EQ(SysctlFile().install_path, "/etc/sysctl.d/99-dbbackup.conf");
  EXPECT_EQ(LimitsFile().install_path, "/etc/security/limits.d/dbbackup.conf");
  EXPECT_EQ(UdevFile().install_path, "/etc/udev/rules.d/60-dbbackup.rules");
}

}  // namespace
}  // namespace dbb::tune
