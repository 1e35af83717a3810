// The man page and bash completion rendered from the command line (app/cli_docs.h). On a small
// command line built here: every command and option is there, hidden ones are not, roff is
// escaped, choices are found and completed. On the real dbbackup: the page has a section for
// every command path its --help lists and every option those list, every exit code, and groff
// and man render it without warnings; the completion script parses and completes commands,
// options and option values.
#include "app/cli_docs.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/exit_codes.h"
#include "support/test_util.h"

namespace dbb::app {
namespace {

using dbb::testing::HaveProgram;
using dbb::testing::RunCommand;
using dbb::testing::TempDir;
using Words = std::vector<std::string>;

// A command line shaped like dbbackup's: global options, a command with subcommands, choices
// from each source, a positional, needs/excludes, a hidden command and option, and help texts
// that roff would misread unescaped.
struct SmallApp {
  CLI::App app{"tool: moves data around, fast.\n\nExit codes: 0 ok, 1 failed.", "tool"};
  bool verbose = false, all = false, none = false;
  std::string mode = "fast", config, file, dir, engine, format, compress;
  int level = 3;

  SmallApp() {
    app.add_flag("-v,--verbose", verbose, "say more");
    app.add_option("--mode", mode, "speed")
        ->check(CLI::IsMember({"fast", "slow"}))
        ->capture_default_str();
    app.add_option("--config", config, "the settings file");
    app.fallthrough();
    CLI::App* store = app.add_subcommand("store", "Store things");
    store->require_subcommand(1);
    CLI::App* put = store->add_subcommand("put", ".dot first, a back\\slash in C:\\temp");
    put->add_option("FILE", file, "what to store")->required();
    put->add_option("--dir", dir, "where to");
    put->add_option("-l,--level", level, "how hard")
        ->check(CLI::Range(1, 9))
        ->capture_default_str();
    const std::map<std::string, int> engines{{"gz", 1}, {"zs", 2}};
    put->add_option("--engine", engine, "codec")->transform(CLI::CheckedTransformer(engines));
    put->add_option("--format", format, "layout")->option_text("a|b|c");
    put->add_option("--compress-engine", compress, "checked after parsing");
    put->add_option("--internal", format, "not for users")->group("");
    CLI::App* get = store->add_subcommand("get", "'quote first");
    CLI::Option* all_flag = get->add_flag("--all", all, "everything");
    get->add_flag("--none", none, "nothing")->excludes(all_flag);
    app.add_subcommand("secret", "hidden")->group("");
  }
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string WriteFile(const TempDir& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir.file(name)) << text;
  return dir.file(name);
}

// What `fn` (the completion function in `script`) offers for the command line `words`, the last
// being the word under the cursor.
Words Complete(const std::string& script, const std::string& fn, const Words& words) {
  std::string command =
      "bash -c 'source \"$1\"; shift; COMP_WORDS=(\"$@\"); "
      "COMP_CWORD=$(($# - 1)); " +
      fn + "; printf \"%s\\n\" \"${COMPREPLY[@]}\"' bash " + Quote(script);
  for (const std::string& w : words) command += " " + Quote(w);
  std::istringstream lines(RunCommand(command).output);
  Words offered;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) offered.push_back(line);
  }
  return offered;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Lines roff reads as requests must be the ones the renderer means to write.
void ExpectOnlyKnownRequests(const std::string& page) {
  const std::set<std::string> known{".TH", ".SH", ".SS", ".TP", ".PP", ".B",  ".I", ".BR",
                                    ".nf", ".fi", ".EX", ".EE", ".in", ".ad", ".nh"};
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) ADD_FAILURE() << "blank line in the page";
    if (line.empty() || (line[0] != '.' && line[0] != '\'')) continue;
    EXPECT_TRUE(known.contains(line.substr(0, line.find(' ')))) << line;
  }
}

TEST(CliDocs, ManPageHasEveryVisibleCommandAndOption) {
  SmallApp s;
  const std::string page = RenderManPage(s.app);
  EXPECT_TRUE(page.starts_with(".TH TOOL 1 ")) << page;
  EXPECT_TRUE(Contains(page, ".SH NAME\ntool \\- moves data around\n"));
  EXPECT_TRUE(Contains(page, "\\fBtool store put\\fR [\\fIoptions\\fR] \\fIFILE\\fR\n"));
  EXPECT_TRUE(Contains(page,
                       ".SS \"tool store\"\nStore things.\n.PP\nCommands: \\fBput\\fR, "
                       "\\fBget\\fR.\n"));
  EXPECT_TRUE(Contains(page, ".SS \"tool store put\"\n"));
  EXPECT_TRUE(Contains(page, ".SS \"tool store get\"\n"));
  EXPECT_TRUE(Contains(page,
                       ".TP\n\\fB\\-v\\fR, \\fB\\-\\-verbose\\fR\nsay more. Environment: "
                       "\\fBDBBACKUP_VERBOSE\\fR.\n"));
  EXPECT_TRUE(Contains(page,
                       ".TP\n\\fB\\-\\-mode\\fR \\fIfast|slow\\fR\nspeed. Default: "
                       "\\fBfast\\fR. Environment: \\fBDBBACKUP_MODE\\fR.\n"));
  EXPECT_TRUE(Contains(page,
                       ".TP\n\\fB\\-l\\fR, \\fB\\-\\-level\\fR \\fIINT\\fR\nhow hard. "
                       "Default: \\fB3\\fR. Environment: \\fBDBBACKUP_LEVEL\\fR.\n"));
  EXPECT_TRUE(Contains(page, "\\fB\\-\\-engine\\fR \\fIgz|zs\\fR\n"));
  EXPECT_TRUE(Contains(page, "\\fB\\-\\-format\\fR \\fIa|b|c\\fR\n"));
  EXPECT_TRUE(Contains(page, ".TP\n\\fIFILE\\fR\nwhat to store. Required.\n"));
  EXPECT_TRUE(Contains(page, "Not with \\fB\\-\\-all\\fR.\n"));
  EXPECT_TRUE(Contains(page, ".TP\n.B 143\n"));
  // Hidden ones, the subcommands' --help (listed once, globally) and the exit codes of the
  // description (EXIT STATUS has them) are left out.
  EXPECT_FALSE(Contains(page, "secret"));
  EXPECT_FALSE(Contains(page, "internal"));
  EXPECT_FALSE(Contains(page, "Exit codes:"));
  const size_t commands = page.find(".SH COMMANDS");
  EXPECT_FALSE(Contains(page.substr(commands, page.find(".SH CONFIG") - commands), "\\-\\-help"));
}

TEST(CliDocs, ManPageEscapesRoff) {
  SmallApp s;
  const std::string page = RenderManPage(s.app);
  EXPECT_TRUE(Contains(page, "\n\\&.dot first, a back\\eslash in C:\\etemp.\n")) << page;
  EXPECT_TRUE(Contains(page, "\n\\&'quote first.\n"));
  EXPECT_FALSE(Contains(page, "--")) << "unescaped option name";
  ExpectOnlyKnownRequests(page);
}

TEST(CliDocs, ChoicesFromEachSource) {
  SmallApp s;
  const CLI::App* put = s.app.get_subcommand("store")->get_subcommand("put");
  EXPECT_EQ(OptionChoices(*s.app.get_option("--mode")), (Words{"fast", "slow"}));
  EXPECT_EQ(OptionChoices(*put->get_option("--engine")), (Words{"gz", "zs"}));
  EXPECT_EQ(OptionChoices(*put->get_option("--format")), (Words{"a", "b", "c"}));
  EXPECT_EQ(OptionChoices(*put->get_option("--compress-engine")),
            (Words{"isal", "libdeflate", "zstd"}));
  EXPECT_TRUE(OptionChoices(*put->get_option("--level")).empty()) << "a range is no choice";
  EXPECT_TRUE(OptionChoices(*put->get_option("--dir")).empty());
  EXPECT_TRUE(OptionChoices(*s.app.get_option("--verbose")).empty());
}

TEST(CliDocs, CompletionOffersCommandsOptionsAndValues) {
  SmallApp s;
  TempDir tmp;
  const std::string script = WriteFile(tmp, "tool.bash", RenderBashCompletion(s.app));
  ASSERT_EQ(RunCommand("bash -n " + script).exit_code, 0);
  std::ofstream(tmp.file("settings.ini")) << "";
  const std::string sub = tmp.file("sub");
  ASSERT_EQ(RunCommand("mkdir " + sub).exit_code, 0);

  EXPECT_EQ(Complete(script, "_tool", {"tool", ""}), (Words{"store"})) << "secret is hidden";
  EXPECT_EQ(Complete(script, "_tool", {"tool", "store", ""}), (Words{"put", "get"}));
  EXPECT_EQ(Complete(script, "_tool", {"tool", "store", "put", "--l"}), (Words{"--level"}));
  EXPECT_EQ(Complete(script, "_tool", {"tool", "store", "put", "--mo"}), (Words{"--mode"}))
      << "the global options fall through";
  EXPECT_EQ(Complete(script, "_tool", {"tool", "--mode", ""}), (Words{"fast", "slow"}));
  EXPECT_EQ(Complete(script, "_tool", {"tool", "store", "put", "--engine", "=", "z"}),
            (Words{"zs"}));
  EXPECT_EQ(Complete(script, "_tool", {"tool", "store", "put", "--format", "="}),
            (Words{"a", "b", "c"}));
  EXPECT_EQ(
      Complete(script, "_tool", {"tool", "store", "put", "-l", "2", "--dir", tmp.path() + "/"}),
      (Words{sub}));
  EXPECT_EQ(Complete(script, "_tool", {"tool", "--config", tmp.file("se")}),
            (Words{tmp.file("settings.ini")}));
  EXPECT_EQ(Complete(script, "_tool", {"tool", "--mode", "slow", "st"}), (Words{"store"}))
      << "an option's value is no command";
  EXPECT_TRUE(Complete(script, "_tool", {"tool", "store", "get", "--all", ""}).empty());
}

// ---- the real dbbackup ----

std::string Dbbackup(const std::string& args) {
  const auto r = RunCommand(std::string(DBB_BINARY) + " " + args);
  EXPECT_EQ(r.exit_code, 0) << args;
  return r.output;
}

// The "Subcommands:" of a --help text, and the names of its options ("-d,--dbname TEXT ...").
void ParseHelp(const std::string& help, Words* commands, Words* options) {
  std::istringstream lines(help);
  std::string section;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != ' ') section = line;
    // An option's description too long for its column continues on the next line, indented.
    if (!line.starts_with("  ") || line.starts_with("   ")) continue;
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (section == "Subcommands:") commands->push_back(first);
    if (section.ends_with("Options:") && first.starts_with("-")) {
      std::istringstream names(first);
      for (std::string name; std::getline(names, name, ',');) options->push_back(name);
    }
  }
}

std::string RoffOption(const std::string& name) {
  std::string out;
  for (const char c : name) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

TEST(DbbackupDocs, ManPageCoversEveryCommandAndOptionOfHelp) {
  const std::string page = Dbbackup("manpage");
  Words pending{""};
  size_t commands = 0;
  while (!pending.empty()) {
    const std::string path = pending.back();
    pending.pop_back();
    Words subcommands, options;
    ParseHelp(Dbbackup(path + " --help"), &subcommands, &options);
    if (!path.empty()) {
      ++commands;
      EXPECT_TRUE(Contains(page, ".SS \"dbbackup" + path + "\"\n")) << path;
    }
    for (const std::string& option : options) {
      EXPECT_TRUE(Contains(page, "\\fB" + RoffOption(option) + "\\fR")) << path << " " << option;
    }
    for (const std::string& sub : subcommands) pending.push_back(path + " " + sub);
  }
  EXPECT_GE(commands, 10u) << "backup single/cluster, restore single/cluster, verify, list ...";
  EXPECT_FALSE(Contains(page, ".SS \"dbbackup manpage\"")) << "hidden";
  ExpectOnlyKnownRequests(page);
}

TEST(DbbackupDocs, ManPageHasEveryExitCode) {
  const std::string page = Dbbackup("manpage");
  const size_t section = page.find(".SH EXIT STATUS\n");
  ASSERT_NE(section, std::string::npos);
  std::vector<int> documented;
  for (const ExitCodeDoc& e : ExitCodeDocs()) documented.push_back(e.code);
  EXPECT_EQ(documented, (std::vector<int>{0, 1, 2, 3, 4, 6, 7, 130, 143}));
  for (const int code : documented) {
    EXPECT_NE(page.find(".TP\n.B " + std::to_string(code) + "\n", section), std::string::npos)
        << code;
  }
}

TEST(DbbackupDocs, HelpShowsTheExitCodeTable) {
  EXPECT_TRUE(Contains(Dbbackup("--help"), ExitCodesHelp())) << ExitCodesHelp();
  std::istringstream lines(ExitCodesHelp());
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 90u) << line;
}

TEST(DbbackupDocs, ManPageRendersWithoutWarnings) {
  TempDir tmp;
  const std::string page = WriteFile(tmp, "dbbackup.1", Dbbackup("manpage"));
  if (!HaveProgram("groff") && !HaveProgram("man")) GTEST_SKIP() << "neither groff nor man";
  if (HaveProgram("groff")) {
    EXPECT_EQ(RunCommand("groff -man -ww -z " + page + " 2>&1").output, "");
  }
  if (HaveProgram("man")) {
    const auto r = RunCommand("MANWIDTH=80 man --warnings -l " + page + " 2>&1 >/dev/null");
    EXPECT_EQ(r.output, "");
    EXPECT_EQ(r.exit_code, 0);
  }
}

TEST(DbbackupDocs, CompletionScriptCompletes) {
  TempDir tmp;
  const std::string text = Dbbackup("completion bash");
  EXPECT_TRUE(text.ends_with("\ncomplete -F _dbbackup dbbackup\n"));
  const std::string script = WriteFile(tmp, "dbbackup.bash", text);
  ASSERT_EQ(RunCommand("bash -n " + script).exit_code, 0);
  ASSERT_EQ(RunCommand("mkdir " + tmp.file("backups")).exit_code, 0);
  EXPECT_EQ(Complete(script, "_dbbackup", {"dbbackup", "backup", "s"}), (Words{"single"}));
  const Words progress = Complete(script, "_dbbackup", {"dbbackup", "--progr"});
  EXPECT_NE(std::find(progress.begin(), progress.end(), "--progress"), progress.end());
  EXPECT_EQ(Complete(script, "_dbbackup", {"dbbackup", "verify", "--progress", ""}),
            (Words{"auto", "tty", "plain", "json", "none"}));
  EXPECT_EQ(
      Complete(script, "_dbbackup", {"dbbackup", "backup", "single", "--compress-engine", ""}),
      (Words{"isal", "libdeflate", "zstd"}));
  EXPECT_EQ(Complete(script, "_dbbackup", {"dbbackup", "backup", "cluster", "--blob-mode", ""}),
            (Words{"inline", "external"}));
  EXPECT_EQ(Complete(script, "_dbbackup", {"dbbackup", "backup", "single", "--io-engine", ""}),
            (Words{"auto", "uring", "pwrite"}));
  EXPECT_EQ(Complete(script, "_dbbackup", {"dbbackup", "backup", "single", "--direct-io", ""}),
            (Words{"auto", "on", "off"}));
  EXPECT_EQ(Complete(script, "_dbbackup", {"dbbackup", "list", tmp.path() + "/"}),
            (Words{tmp.file("backups")}))
      << "DIR completes directories only";
  EXPECT_TRUE(Complete(script, "_dbbackup", {"dbbackup", "man"}).empty()) << "manpage is hidden";
}

}  // namespace
}  // namespace dbb::app
