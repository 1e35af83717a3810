#include "app/cli_docs.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "app/exit_codes.h"
#include "app/settings.h"

namespace dbb::app {
namespace {

// A visible command and its path below the root: "" for the root, "backup single".
struct Command {
  const CLI::App* app;
  std::string path;
};

bool IsVisible(const CLI::App* sub) {
  return !sub->get_name().empty() && !sub->get_group().empty();  // not an option group, not hidden
}

std::vector<const CLI::App*> Subcommands(const CLI::App& app) {
  return app.get_subcommands(IsVisible);
}

// `app` and every visible command below it, parents first.
void Walk(const CLI::App& app, const std::string& path, std::vector<Command>* out) {
  out->push_back({&app, path});
  for (const CLI::App* sub : Subcommands(app)) {
    Walk(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
  }
}

std::vector<Command> Commands(const CLI::App& root) {
  std::vector<Command> commands;
  Walk(root, "", &commands);
  return commands;
}

bool IsFlag(const CLI::Option& o) { return o.get_expected_max() == 0; }
bool IsRepeatable(const CLI::Option& o) { return !IsFlag(o) && o.get_expected_max() > 1; }

// The named options of `app`; with_help: its --help too (the man page lists that once, globally).
std::vector<const CLI::Option*> NamedOptions(const CLI::App& app, bool with_help) {
  return app.get_options([&app, with_help](const CLI::Option* o) {
    const bool help = o == app.get_help_ptr() || o == app.get_help_all_ptr();
    return !o->get_group().empty() && o->nonpositional() && (with_help || !help);
  });
}

std::vector<const CLI::Option*> Positionals(const CLI::App& app) {
  return app.get_options(
      [](const CLI::Option* o) { return !o->get_group().empty() && !o->nonpositional(); });
}

std::string Join(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t end; (end = text.find(separator, start)) != std::string_view::npos; start = end + 1) {
    parts.emplace_back(text.substr(start, end - start));
  }
  parts.emplace_back(text.substr(start));
  return parts;
}

// A value a shell can complete without quoting; prose (a help text in braces) has other
// characters, so requiring this tells a list of choices from a description.
bool IsPlainWord(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '+';
  });
}

std::vector<std::string> PlainWordsOrNothing(std::vector<std::string> words) {
  const bool plain = words.size() > 1 && std::all_of(words.begin(), words.end(), IsPlainWord);
  return plain ? words : std::vector<std::string>{};
}

// IsMember describes itself as "{a,b}", CheckedTransformer as "value in {a->x,b->y} OR {x,y}":
// the first braces hold the names a user types.
std::vector<std::string> ChoicesFromCheck(const std::string& type_name) {
  const size_t open = type_name.find('{');
  const size_t close = type_name.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> names = Split(type_name.substr(open + 1, close - open - 1), ',');
  for (std::string& name : names) name = name.substr(0, name.find("->"));
  return PlainWordsOrNothing(std::move(names));
}

// Options whose values are checked after parsing (no CLI11 check to read the choices from).
const std::map<std::string, std::vector<std::string>> kCheckedLater{
    {"compress-engine", {"isal", "libdeflate", "zstd"}},
    {"io-engine", {"auto", "uring", "pwrite"}},
    {"direct-io", {"auto", "on", "off"}},
};

// What kind of path, if any, an option or positional named `name` takes: "dir", "file", "text".
std::string PathKind(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  if (name == "dir" || name == "root" || name.ends_with("-dir")) return "dir";
  if (name == "config" || name.ends_with("file")) return "file";
  return "text";
}

// ---- roff ----

// Running text for roff on one line: whitespace (the hand wrapping of --help) made single spaces,
// backslashes and hyphens escaped (\- stays an ASCII hyphen-minus, so option names can be
// copied), and a leading '.' or '\'' kept from being read as a request.
std::string Roff(std::string_view text) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c == '\\' ? "\\e" : c == '-' ? "\\-" : std::string(1, c);
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out.insert(0, "\\&");
  return out;
}

std::string Bold(std::string_view text) { return "\\fB" + Roff(text) + "\\fR"; }
std::string Italic(std::string_view text) { return "\\fI" + Roff(text) + "\\fR"; }

std::string Sentence(const std::string& text) {
  std::string s = Roff(text);
  if (!s.empty() && s.back() != '.') s += '.';
  return s;
}

// The paragraphs of a description (separated by blank lines), each one roff line, joined by .PP.
// The top-level description's exit codes are left out: EXIT STATUS has them in full.
std::string DescriptionParagraphs(const std::string& description) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= description.size()) {
    size_t end = description.find("\n\n", start);
    if (end == std::string::npos) end = description.size();
    const std::string paragraph = Sentence(description.substr(start, end - start));
    if (!paragraph.empty() && !paragraph.starts_with("Exit codes:")) lines.push_back(paragraph);
    start = end + 2;
  }
  return lines.empty() ? "" : Join(lines, "\n.PP\n") + "\n";
}

std::string ValueLabel(const CLI::Option& o) {
  if (!o.get_option_text().empty()) return o.get_option_text();
  const std::vector<std::string> choices = OptionChoices(o);
  if (!choices.empty()) return Join(choices, "|");
  const std::string type = o.get_type_name();
  const std::string bare = type.substr(0, type.find(':'));  // without the checks' descriptions
  return bare.empty() ? "VALUE" : bare;
}

// "-d, --dbname TEXT", "--dir DIR ...", or a positional's "DIR".
std::string OptionTag(const CLI::Option& o) {
  std::vector<std::string> names;
  for (const std::string& s : o.get_snames()) names.push_back(Bold("-" + s));
  for (const std::string& l : o.get_lnames()) names.push_back(Bold("--" + l));
  std::string tag = o.nonpositional() ? Join(names, ", ") : Italic(o.get_name(true));
  if (o.nonpositional() && !IsFlag(o)) tag += " " + Italic(ValueLabel(o));
  if (IsRepeatable(o)) tag += " ...";
  return tag;
}

// Names in a stable order: CLI11 keeps needs and excludes in sets of pointers.
std::string NameList(const std::set<CLI::Option*>& options) {
  std::vector<std::string> names;
  for (const CLI::Option* o : options) names.push_back(Bold(o->get_name()));
  std::sort(names.begin(), names.end());
  return Join(names, ", ");
}

// The description and what --help shows after an option's name, as sentences.
std::string OptionBody(const CLI::Option& o) {
  std::vector<std::string> sentences;
  if (!o.get_description().empty()) sentences.push_back(Sentence(o.get_description()));
  if (!o.get_default_str().empty()) {
    sentences.push_back("Default: " + Bold(o.get_default_str()) + ".");
  }
  if (o.get_required()) sentences.push_back("Required.");
  if (const std::string env = EnvNameFor(o); !env.empty()) {
    sentences.push_back("Environment: " + Bold(env) + ".");
  }
  if (!o.get_needs().empty()) sentences.push_back("Only with " + NameList(o.get_needs()) + ".");
  if (!o.get_excludes().empty()) {
    sentences.push_back("Not with " + NameList(o.get_excludes()) + ".");
  }
  return Join(sentences, " ");
}

std::string OptionEntries(const std::vector<const CLI::Option*>& options) {
  std::string out;
  for (const CLI::Option* o : options) {
    out += ".TP\n" + OptionTag(*o) + "\n";
    const std::string body = OptionBody(*o);
    if (!body.empty()) out += body + "\n";
  }
  return out;
}

bool IsRunnable(const Command& c) {
  return !c.path.empty() &&
         (Subcommands(*c.app).empty() || c.app->get_require_subcommand_min() == 0);
}

// "dbbackup restore single [options] DIR", for SYNOPSIS.
std::string Usage(const std::string& program, const Command& c) {
  std::string usage = Bold(program + " " + c.path);
  if (!NamedOptions(*c.app, false).empty()) usage += " [" + Italic("options") + "]";
  for (const CLI::Option* p : Positionals(*c.app)) {
    const std::string arg = Italic(p->get_name(true)) + (IsRepeatable(*p) ? " ..." : "");
    usage += " " + (p->get_required() ? arg : "[" + arg + "]");
  }
  if (!Subcommands(*c.app).empty()) usage += " [" + Italic("command") + "]";
  return usage;
}

std::string Header(const std::string& program, const CLI::App& root) {
  std::string upper = program;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  // The summary: the description's first clause, without a leading "dbbackup: ".
  std::string summary = root.get_description();
  if (summary.starts_with(program + ": ")) summary.erase(0, program.size() + 2);
  summary = summary.substr(0, summary.find_first_of(",.\n"));
  return ".TH " + Roff(upper) + " 1 \"\" \"" + Roff(program) + "\" \"User Commands\"\n" +
         // Ragged right, no hyphenation: option names, variables and paths stay whole.
         ".ad l\n.nh\n.SH NAME\n" + Roff(program) + " \\- " + Roff(summary) + "\n";
}

std::string Synopsis(const std::string& program, const std::vector<Command>& commands) {
  std::string out = ".SH SYNOPSIS\n.nf\n" + Bold(program) + " [" + Italic("global options") + "] " +
                    Italic("command") + " [" + Italic("options") + "] [" + Italic("arguments") +
                    "]\n";
  for (const Command& c : commands) {
    if (IsRunnable(c)) out += Usage(program, c) + "\n";
  }
  return out + ".fi\n";
}

std::string Description(const CLI::App& root) {
  std::string out = ".SH DESCRIPTION\n" + DescriptionParagraphs(root.get_description());
  out += ".PP\nEvery command takes " + Bold("--help") + ".";
  if (root.get_fallthrough()) out += " The global options may also follow the command.";
  return out + "\n.SH GLOBAL OPTIONS\n" + OptionEntries(NamedOptions(root, true));
}

std::string CommandSections(const std::string& program, const std::vector<Command>& commands) {
  std::string out = ".SH COMMANDS\n";
  for (const Command& c : commands) {
    if (c.path.empty()) continue;
    out += ".SS \"" + Roff(program + " " + c.path) + "\"\n" +
           DescriptionParagraphs(c.app->get_description());
    std::vector<std::string> names;
    for (const CLI::App* sub : Subcommands(*c.app)) names.push_back(Bold(sub->get_name()));
    if (!names.empty()) out += ".PP\nCommands: " + Join(names, ", ") + ".\n";
    out += OptionEntries(Positionals(*c.app)) + OptionEntries(NamedOptions(*c.app, false));
  }
  return out;
}

// The commands a configuration file target sets options of, and their options that are no keys.
constexpr std::array<std::string_view, 3> kConfiguredCommands{"backup single", "backup cluster",
                                                              "prune"};
const std::set<std::string> kNotKeys{"help", "config", "target"};

std::string ConfigKeys(const std::vector<Command>& commands) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const Command& c : commands) {
    if (std::find(kConfiguredCommands.begin(), kConfiguredCommands.end(), c.path) ==
        kConfiguredCommands.end()) {
      continue;
    }
    for (const CLI::Option* o : NamedOptions(*c.app, false)) {
      for (const std::string& name : o->get_lnames()) {
        if (!kNotKeys.contains(name) && seen.insert(name).second) keys.push_back(Bold(name));
      }
    }
  }
  return Join(keys, ", ");
}

constexpr std::string_view kConfigFile = R"roff(.SH CONFIGURATION FILE
Settings can be kept in \fI/etc/dbbackup/dbbackup.conf\fR, or in the file named by
\fB\-\-config\fR \fIFILE\fR or \fBDBBACKUP_CONFIG\fR. It is an INI file: the group
\fB[defaults]\fR applies to every target; a group \fB[\fR\fINAME\fR\fB]\fR is a target, chosen
with \fB\-\-target\fR \fINAME\fR (\fBdbbackup backup \-\-target\fR \fINAME\fR backs it up, as
\fBdbbackup@\fR\fINAME\fR\fB.service\fR does).
.PP
The keys are the long option names of \fBbackup single\fR, \fBbackup cluster\fR and
\fBprune\fR, without the leading \fB\-\-\fR: @KEYS@. And:
.TP
.B kind
\fBsingle\fR (one database) or \fBcluster\fR (the whole server): the backup the target makes.
.TP
.B password
the password; accepted only in a file with no group or other permission bits (\fBchmod 600\fR),
a file that others can read is refused. Prefer \fBpassfile\fR.
.TP
.B passfile
a password file in the format of \fI~/.pgpass\fR (see \fBPGPASSFILE\fR).
.PP
Each setting comes from the first of: the command-line option, its \fBDBBACKUP_\fR\fINAME\fR
environment variable, the configuration file (the target's group, then \fB[defaults]\fR), the
built-in default.
.PP
.in +4n
.EX
[defaults]
jobs = 4
compress\-engine = zstd
[prod]
kind = single
host = db1.example.com
username = backup
dbname = shop
dir = /var/lib/dbbackup/prod
passfile = /etc/dbbackup/prod.pgpass
.EE
.in
)roff";

constexpr std::string_view kEnvironment = R"roff(.SH ENVIRONMENT
.TP
\fBDBBACKUP_\fR\fINAME\fR
the value of every long option \fB\-\-\fR\fIname\fR, with \fB\-\fR as \fB_\fR, in upper case:
\fBDBBACKUP_COMPRESS_ENGINE=zstd\fR is \fB\-\-compress\-engine zstd\fR. An option on the
command line wins over the environment, the environment over the configuration file.
.TP
.B DBBACKUP_CONFIG
the configuration file to read instead of \fI/etc/dbbackup/dbbackup.conf\fR.
.PP
libpq, and so dbbackup and the pg_dump it runs, reads:
.TP
.B PGHOST
the server host or socket directory (the default of \fB\-h\fR).
.TP
.B PGPORT
the server port (the default of \fB\-p\fR).
.TP
.B PGUSER
the user name (the default of \fB\-U\fR).
.TP
.B PGDATABASE
the database when none is given.
.TP
.B PGPASSWORD
the password; a password file is safer.
.TP
.B PGPASSFILE
the password file (default \fI~/.pgpass\fR).
)roff";

std::string ExitStatus() {
  std::string out = ".SH EXIT STATUS\n";
  for (const ExitCodeDoc& e : ExitCodeDocs()) {
    out += ".TP\n.B " + std::to_string(e.code) + "\n" + Roff(e.detail) + "\n";
  }
  return out;
}

constexpr std::string_view kTrailer = R"roff(.SH FILES
.TP
.I /etc/dbbackup/dbbackup.conf
the configuration file: settings and backup targets.
.TP
.I /usr/share/dbbackup/sysctl/
the recommended kernel settings: \fBtune \-\-check\fR audits them, \fBtune \-\-apply\fR installs
them in \fI/etc/sysctl.d\fR.
.TP
.I /usr/share/dbbackup/limits/
the recommended open-file limits: \fBtune \-\-apply\fR installs them in
\fI/etc/security/limits.d\fR.
.TP
.I /usr/lib/systemd/system/dbbackup@.service
backs up the target \fINAME\fR of the configuration file as \fBdbbackup@\fR\fINAME\fR, then
prunes its old backups.
.TP
.I /usr/lib/systemd/system/dbbackup@.timer
starts \fBdbbackup@\fR\fINAME\fR\fB.service\fR daily.
.TP
.I /var/lib/dbbackup
the home of the \fBdbbackup\fR user, and the directory the service may write backups to
(another one needs a \fBReadWritePaths=\fR drop\-in).
.SH EXAMPLES
Back up the database shop over 8 connections:
.PP
.in +4n
.EX
dbbackup backup single shop \-\-dir /backup/shop \-j 8
.EE
.in
.PP
Back up the target prod of the configuration file, as its service does:
.PP
.in +4n
.EX
dbbackup backup \-\-target prod
.EE
.in
.PP
Restore that backup into a new database, then check a backup's files against its manifest:
.PP
.in +4n
.EX
dbbackup restore single /backup/shop \-d shop_copy \-\-create \-j 8
dbbackup verify /backup/shop
.EE
.in
.PP
Show which backups of prod its retention would remove, removing none:
.PP
.in +4n
.EX
dbbackup prune \-\-target prod \-\-dry\-run
.EE
.in
.PP
Back up prod daily with systemd, and complete dbbackup's commands in this shell:
.PP
.in +4n
.EX
systemctl enable \-\-now dbbackup@prod.timer
source <(dbbackup completion bash)
.EE
.in
.SH SEE ALSO
.BR pg_dump (1),
.BR pg_restore (1),
.BR systemd.timer (5)
)roff";

std::string ReplaceAll(std::string text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// ---- bash ----

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? "'\\''" : std::string(1, c);
  return out + "'";
}

// What the value of `o` completes to: "flag" (none), "dir", "file", "text" or "choice a b c".
std::string ValueKind(const CLI::Option& o) {
  if (IsFlag(o)) return "flag";
  const std::vector<std::string> choices = OptionChoices(o);
  if (!choices.empty()) return "choice " + Join(choices, " ");
  return PathKind(o.get_lnames().empty() ? o.get_name(true) : o.get_lnames().front());
}

using CaseArms = std::vector<std::pair<std::string, std::string>>;

// A bash function that echoes the words its first argument maps to.
std::string CaseFunction(const std::string& name, const std::string& comment,
                         const CaseArms& arms) {
  std::string out = "# " + comment + "\n" + name + "() {\n  case $1 in\n";
  for (const auto& [key, words] : arms) {
    out += "    " + ShellQuote(key) + ") echo " + ShellQuote(words) + " ;;\n";
  }
  return out + "  esac\n}\n\n";
}

// The tables the completion function reads, one `case` per question, from the command tree.
std::string CompletionTables(const std::string& fn, const std::vector<Command>& commands) {
  CaseArms subcommands, options, values, positionals;
  for (const Command& c : commands) {
    std::vector<std::string> names;
    for (const CLI::App* sub : Subcommands(*c.app)) names.push_back(sub->get_name());
    if (!names.empty()) subcommands.emplace_back(c.path, Join(names, " "));
    names.clear();
    for (const CLI::Option* o : NamedOptions(*c.app, true)) {
      std::vector<std::string> own;
      for (const std::string& l : o->get_lnames()) own.push_back("--" + l);
      for (const std::string& s : o->get_snames()) own.push_back("-" + s);
      for (const std::string& name : own) values.emplace_back(c.path + "|" + name, ValueKind(*o));
      names.insert(names.end(), own.begin(), own.end());
    }
    options.emplace_back(c.path, Join(names, " "));
    const std::vector<const CLI::Option*> args = Positionals(*c.app);
    if (!args.empty()) positionals.emplace_back(c.path, PathKind(args.front()->get_name(true)));
  }
  return CaseFunction(fn + "_commands", "The subcommands of a command path ('' is the program).",
                      subcommands) +
         CaseFunction(fn + "_options", "The options of a command path (not its parents').",
                      options) +
         CaseFunction(fn + "_value",
                      "What follows option OPT of command PATH, given 'PATH|OPT': flag (nothing), "
                      "dir, file, text or choice WORDS.",
                      values) +
         CaseFunction(fn + "_positional", "What the arguments of a command path are.", positionals);
}

// The completion logic; @F@ is the function name, the tables above answer its questions.
constexpr std::string_view kCompletionLogic = R"sh(
# The command path $1 and its parents, up to '' (options fall through to the parents).
@F@_chain() {
  local p=$1
  while [[ -n $p ]]; do
    echo "$p"
    if [[ $p == *' '* ]]; then p=${p% *}; else p=''; fi
  done
  echo ''
}

# What option $2 takes in command path $1 or its parents (see @F@_value).
@F@_lookup() {
  local p kind
  while IFS= read -r p; do
    kind=$(@F@_value "$p|$2")
    if [[ -n $kind ]]; then
      echo "$kind"
      return
    fi
  done < <(@F@_chain "$1")
}

# Sets COMPREPLY to the completions of word $2 as a value of kind $1.
@F@_reply() {
  case $1 in
    dir)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -d -- "$2")
      ;;
    file)
      compopt -o filenames 2>/dev/null
      mapfile -t COMPREPLY < <(compgen -f -- "$2")
      ;;
    choice\ *) mapfile -t COMPREPLY < <(compgen -W "${1#choice }" -- "$2") ;;
    *) COMPREPLY=() ;;
  esac
}

@F@() {
  local cur=${COMP_WORDS[COMP_CWORD]-} prev='' opt path='' word kind p words='' i=1
  # The command path so far, stepping over option values: "--opt value" and "--opt=value"
  # (which bash splits into three words at the '=').
  while ((i < COMP_CWORD)); do
    word=${COMP_WORDS[i]-}
    if [[ $word == -* ]]; then
      kind=$(@F@_lookup "$path" "$word")
      if [[ -n $kind && $kind != flag ]]; then
        if [[ ${COMP_WORDS[i + 1]-} == = ]]; then ((i += 2)); else ((i += 1)); fi
      fi
    elif [[ " $(@F@_commands "$path") " == *" $word "* ]]; then
      path=${path:+$path }$word
    fi
    ((i += 1))
  done
  # An option's value: after "--opt ", "--opt=" (the current word is then '=') or "--opt=x".
  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]-}
  if [[ $cur == = ]]; then
    opt=$prev
    cur=''
  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
    opt=${COMP_WORDS[COMP_CWORD - 2]-}
  else
    opt=$prev
  fi
  if [[ $opt == -* ]]; then
    kind=$(@F@_lookup "$path" "$opt")
    if [[ -n $kind && $kind != flag ]]; then
      @F@_reply "$kind" "$cur"
      return
    fi
  fi
  if [[ $cur == -* ]]; then
    while IFS= read -r p; do words+=" $(@F@_options "$p")"; done < <(@F@_chain "$path")
    # -h and --help of each command, once.
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur" | sort -u)
    return
  fi
  words=$(@F@_commands "$path")
  if [[ -n $words ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
    ((${#COMPREPLY[@]} > 0)) && return
  fi
  @F@_reply "$(@F@_positional "$path")" "$cur"
}
)sh";

}  // namespace

std::vector<std::string> OptionChoices(const CLI::Option& option) {
  if (IsFlag(option)) return {};
  std::vector<std::string> choices = PlainWordsOrNothing(Split(option.get_option_text(), '|'));
  if (choices.empty()) choices = ChoicesFromCheck(option.get_type_name());
  if (!choices.empty()) return choices;
  for (const std::string& name : option.get_lnames()) {
    if (const auto it = kCheckedLater.find(name); it != kCheckedLater.end()) return it->second;
  }
  return {};
}

std::string RenderManPage(const CLI::App& root) {
  const std::string program = root.get_name();
  const std::vector<Command> commands = Commands(root);
  return Header(program, root) + Synopsis(program, commands) + Description(root) +
         CommandSections(program, commands) +
         ReplaceAll(std::string(kConfigFile), "@KEYS@", ConfigKeys(commands)) +
         std::string(kEnvironment) + ExitStatus() + std::string(kTrailer);
}

std::string RenderBashCompletion(const CLI::App& root) {
  const std::string program = root.get_name();
  const std::string fn = "_" + ReplaceAll(program, "-", "_");
  return "# bash completion for " + program + ", generated from its command line by `" + program +
         " completion bash`.\n\n" + CompletionTables(fn, Commands(root)) +
         ReplaceAll(std::string(kCompletionLogic), "@F@", fn) + "\ncomplete -F " + fn + " " +
         program + "\n";
}

}  // namespace dbb::app
