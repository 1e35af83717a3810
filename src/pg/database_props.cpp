#include "pg/database_props.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "common/log.h"

namespace dbb::pg {
namespace {

// Settings whose value is a list of (possibly double-quoted) elements; the server stores them
// flattened, and SET must get them back as separate literals (pg_dump's list of GUC_LIST_QUOTE).
bool IsListSetting(const std::string& name) {
  static constexpr std::array<const char*, 6> kLists = {
      "local_preload_libraries",  "search_path",      "session_preload_libraries",
      "shared_preload_libraries", "temp_tablespaces", "unix_socket_directories"};
  return std::any_of(kLists.begin(), kLists.end(), [&](const char* n) { return name == n; });
}

// "app, \"My Schema\", public" -> {app, My Schema, public}.
std::vector<std::string> SplitList(const std::string& value) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (quoted) {
      if (c == '"' && i + 1 < value.size() && value[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != ' ' || !cur.empty()) {
      cur += c;
    }
  }
  while (!cur.empty() && cur.back() == ' ') cur.pop_back();
  out.push_back(cur);
  return out;
}

// "search_path=app, public" -> "search_path TO 'app', 'public'" (after SET); "" when the
// setting is not "name=value", which the server never stores.
std::string SetClause(const Connection& conn, const std::string& setting) {
  const size_t eq = setting.find('=');
  if (eq == std::string::npos) return "";
  const std::string name = setting.substr(0, eq);
  const std::string value = setting.substr(eq + 1);
  std::string clause = conn.QuoteIdent(name) + " TO ";
  if (!IsListSetting(name)) return clause + conn.QuoteLiteral(value);
  const std::vector<std::string> elements = SplitList(value);
  for (size_t i = 0; i < elements.size(); ++i) {
    clause += (i ? ", " : "") + conn.QuoteLiteral(elements[i]);
  }
  return clause;
}

// A text[] literal for a query parameter: {"a","b\"c"}.
std::string TextArray(const std::set<std::string>& values) {
  std::string out = "{";
  for (const std::string& v : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// The version-specific columns of pg_database: locale provider and its locale.
std::string LocaleColumns(int server_version_num) {
  if (server_version_num < 150000) return "'', ''";
  const char* provider =
      "CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' WHEN 'b' THEN 'builtin' "
      "ELSE d.datlocprovider::text END";
  const char* locale = server_version_num >= 170000 ? "d.datlocale" : "d.daticulocale";
  return std::string(provider) + ", COALESCE(" + locale + ", '')";
}

Status ReadAcl(Connection& conn, DatabaseProps& props) {
  // aclexplode's order is the array's: a grant made by a holder of the grant option comes after
  // the grant that gave it the option, which is the order ApplyDatabaseProps replays them in.
  auto r = conn.Query(
      "SELECT CASE WHEN a.grantee = 0 THEN '' ELSE pg_catalog.pg_get_userbyid(a.grantee) END,"
      " pg_catalog.pg_get_userbyid(a.grantor), a.privilege_type, a.is_grantable"
      " FROM pg_catalog.pg_database d,"
      " pg_catalog.aclexplode(d.datacl) WITH ORDINALITY AS a(grantor, grantee, privilege_type,"
      " is_grantable, n)"
      " WHERE d.datname = pg_catalog.current_database() ORDER BY a.n");
  if (!r.ok()) return r.status().WithContext("read the database's privileges");
  std::vector<Grant>& acl = props.acl.emplace();
  for (int i = 0; i < r->rows(); ++i) {
    acl.push_back({.grantee = std::string(r->Get(i, 0)),
                   .grantor = std::string(r->Get(i, 1)),
                   .privilege = std::string(r->Get(i, 2)),
                   .grantable = r->GetBool(i, 3)});
  }
  return Status::Ok();
}

Status ReadRoleSettings(Connection& conn, DatabaseProps& props) {
  auto r = conn.Query(
      "SELECT r.rolname, c.setting FROM pg_catalog.pg_db_role_setting s"
      " JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase"
      " JOIN pg_catalog.pg_roles r ON r.oid = s.setrole,"
      " pg_catalog.unnest(s.setconfig) WITH ORDINALITY AS c(setting, n)"
      " WHERE d.datname = pg_catalog.current_database() ORDER BY r.rolname, c.n");
  if (!r.ok()) return r.status().WithContext("read the settings of roles in the database");
  for (int i = 0; i < r->rows(); ++i) {
    const std::string_view role = r->Get(i, 0);
    if (props.role_settings.empty() || props.role_settings.back().role != role) {
      props.role_settings.push_back({.role = std::string(role), .settings = {}});
    }
    props.role_settings.back().settings.emplace_back(r->Get(i, 1));
  }
  return Status::Ok();
}

// What ApplyDatabaseProps needs to know about the target server before it changes anything.
struct Target {
  std::string quoted;           // the database name, quoted
  std::string current_owner;    // before any change
  std::set<std::string> roles;  // those of the props' roles that exist here
};

Result<Target> LookUpTarget(Connection& conn, const std::string& dbname,
                            const DatabaseProps& props) {
  Target t{.quoted = conn.QuoteIdent(dbname)};
  auto owner = conn.Query(
      "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = $1",
      {dbname});
  if (!owner.ok()) return owner.status().WithContext("look up database " + dbname);
  if (owner->rows() != 1) {
    return Status(StatusCode::kConnection, "database \"" + dbname + "\" does not exist");
  }
  t.current_owner = std::string(owner->Get(0, 0));

  std::set<std::string> wanted;
  if (!props.owner.empty()) wanted.insert(props.owner);
  for (const RoleSettings& rs : props.role_settings) wanted.insert(rs.role);
  for (const Grant& g : props.acl.value_or(std::vector<Grant>())) {
    if (!g.grantee.empty()) wanted.insert(g.grantee);
    if (!g.grantor.empty()) wanted.insert(g.grantor);
  }
  auto roles = conn.Query(
      "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY ($1::pg_catalog.text[])",
      {TextArray(wanted)});
  if (!roles.ok()) return roles.status().WithContext("look up the roles of database " + dbname);
  for (int i = 0; i < roles->rows(); ++i) t.roles.emplace(roles->Get(i, 0));
  return t;
}

// What was left out for roles missing on this server: one warning per role, after the rest.
class MissingRoles {
 public:
  void Skip(const std::string& role, std::string what) {
    skipped_[role].push_back(std::move(what));
  }
  void Warn(const std::string& dbname) const {
    for (const auto& [role, what] : skipped_) {
      std::string line = "database \"" + dbname + "\": role \"" + role +
                         "\" does not exist on this server; skipped: ";
      for (size_t i = 0; i < what.size(); ++i) line += (i ? "; " : "") + what[i];
      log::Warn(line);
    }
  }

 private:
  std::map<std::string, std::vector<std::string>> skipped_;
};

// From the default ACL to exactly `acl`, as one statement list: the server runs it as one
// transaction, so a failing GRANT leaves neither half an ACL nor the session in SET ROLE.
Result<std::string> AclSql(const Connection& conn, const Target& t, const std::string& owner,
                           const DatabaseProps& props, MissingRoles& missing) {
  const std::string on = " ON DATABASE " + t.quoted;
  std::string sql = "REVOKE ALL" + on + " FROM PUBLIC;\n";
  // When the backup's owner is missing here, the database's actual owner keeps its default
  // privileges: the backup's entries for its own owner apply to nobody here.
  if (props.owner.empty() || owner == props.owner) {
    sql += "REVOKE ALL" + on + " FROM " + conn.QuoteIdent(owner) + ";\n";
  }
  for (const Grant& g : *props.acl) {
    // The privilege goes into the statement as a keyword: only the three a database has.
    if (g.privilege != "CREATE" && g.privilege != "CONNECT" && g.privilege != "TEMPORARY") {
      return Status(StatusCode::kCorrupt, "privilege \"" + g.privilege +
                                              "\" on a database: not CREATE, CONNECT or "
                                              "TEMPORARY");
    }
    const std::string to = g.grantee.empty() ? "PUBLIC" : conn.QuoteIdent(g.grantee);
    const std::string grant =
        "GRANT " + g.privilege + on + " TO " + to + (g.grantable ? " WITH GRANT OPTION" : "");
    if (!g.grantee.empty() && !t.roles.contains(g.grantee)) {
      missing.Skip(g.grantee, grant);
      continue;
    }
    // A superuser's GRANT counts as the owner's, so an owner's grant needs no SET ROLE (and is
    // made by the actual owner when the backup's is missing here).
    const bool as_grantor = !g.grantor.empty() && g.grantor != props.owner && g.grantor != owner;
    if (as_grantor && !t.roles.contains(g.grantor)) {
      missing.Skip(g.grantor, grant + " (granted by it)");
      continue;
    }
    if (as_grantor) sql += "SET ROLE " + conn.QuoteIdent(g.grantor) + ";\n";
    sql += grant + ";\n";
    if (as_grantor) sql += "RESET ROLE;\n";
  }
  return sql;
}

}  // namespace

Result<DatabaseProps> ReadDatabaseProps(Connection& conn) {
  auto r = conn.Query(
      "SELECT pg_catalog.shobj_description(d.oid, 'pg_database'), s.setconfig,"
      " pg_catalog.pg_get_userbyid(d.datdba),"
      " CASE WHEN t.spcname = 'pg_default' THEN '' ELSE t.spcname::text END,"
      " d.datconnlimit, d.datistemplate, d.datacl IS NULL, " +
      LocaleColumns(conn.server_version_num()) +
      " FROM pg_catalog.pg_database d"
      " JOIN pg_catalog.pg_tablespace t ON t.oid = d.dattablespace"
      " LEFT JOIN pg_catalog.pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0"
      " WHERE d.datname = pg_catalog.current_database()");
  if (!r.ok()) return r.status().WithContext("read the database's properties");
  DatabaseProps props;
  props.comment = std::string(r->Get(0, 0));
  if (!r->IsNull(0, 1)) {
    auto elems =
        conn.Query("SELECT pg_catalog.unnest($1::pg_catalog.text[])", {std::string(r->Get(0, 1))});
    if (!elems.ok()) return elems.status();
    for (int i = 0; i < elems->rows(); ++i) props.settings.emplace_back(elems->Get(i, 0));
  }
  props.owner = std::string(r->Get(0, 2));
  props.tablespace = std::string(r->Get(0, 3));
  props.connection_limit = static_cast<int>(r->GetInt64(0, 4));
  props.is_template = r->GetBool(0, 5);
  const bool default_acl = r->GetBool(0, 6);
  props.locale_provider = std::string(r->Get(0, 7));
  props.icu_locale = std::string(r->Get(0, 8));
  if (!default_acl) DBB_RETURN_IF_ERROR(ReadAcl(conn, props));
  DBB_RETURN_IF_ERROR(ReadRoleSettings(conn, props));
  return props;
}

Status ApplyDatabaseProps(Connection& conn, const std::string& dbname, const DatabaseProps& props) {
  Result<Target> target = LookUpTarget(conn, dbname, props);
  if (!target.ok()) return target.status();
  const Target& t = *target;
  const std::string& db = t.quoted;
  MissingRoles missing;
  std::string owner = t.current_owner;
  if (!props.owner.empty() && props.owner != owner) {
    if (t.roles.contains(props.owner)) {
      DBB_RETURN_IF_ERROR(
          conn.Exec("ALTER DATABASE " + db + " OWNER TO " + conn.QuoteIdent(props.owner))
              .WithContext("owner of database " + dbname));
      owner = props.owner;
    } else {
      missing.Skip(props.owner, "ALTER DATABASE OWNER TO it (the owner stays \"" + owner + "\")");
    }
  }
  for (const std::string& setting : props.settings) {
    const std::string clause = SetClause(conn, setting);
    if (clause.empty()) continue;
    DBB_RETURN_IF_ERROR(conn.Exec("ALTER DATABASE " + db + " SET " + clause)
                            .WithContext("database setting " + setting));
  }
  for (const RoleSettings& rs : props.role_settings) {
    if (!t.roles.contains(rs.role)) {
      missing.Skip(rs.role, "its settings in the database (ALTER ROLE ... IN DATABASE ... SET)");
      continue;
    }
    const std::string alter = "ALTER ROLE " + conn.QuoteIdent(rs.role) + " IN DATABASE " + db;
    for (const std::string& setting : rs.settings) {
      const std::string clause = SetClause(conn, setting);
      if (clause.empty()) continue;
      DBB_RETURN_IF_ERROR(conn.Exec(alter + " SET " + clause)
                              .WithContext("setting " + setting + " of role " + rs.role));
    }
  }
  if (props.acl) {
    Result<std::string> acl = AclSql(conn, t, owner, props, missing);
    if (!acl.ok()) return acl.status().WithContext("database " + dbname);
    DBB_RETURN_IF_ERROR(conn.Exec(*acl).WithContext("privileges on database " + dbname));
  }
  if (!props.comment.empty()) {
    DBB_RETURN_IF_ERROR(
        conn.Exec("COMMENT ON DATABASE " + db + " IS " + conn.QuoteLiteral(props.comment)));
  }
  // -1 is the default; -2 marks a database that a DROP left half-done, never one to restore.
  if (props.connection_limit >= 0) {
    DBB_RETURN_IF_ERROR(conn.Exec("ALTER DATABASE " + db + " WITH CONNECTION LIMIT " +
                                  std::to_string(props.connection_limit)));
  }
  if (props.is_template) {
    DBB_RETURN_IF_ERROR(conn.Exec("ALTER DATABASE " + db + " WITH IS_TEMPLATE true"));
  }
  missing.Warn(dbname);
  return Status::Ok();
}

Status CreateDatabase(Connection& admin, const NewDatabase& db) {
  const int version = admin.server_version_num();
  std::string sql = "CREATE DATABASE " + admin.QuoteIdent(db.name) + " TEMPLATE template0";
  if (!db.encoding.empty()) sql += " ENCODING " + admin.QuoteLiteral(db.encoding);
  if (!db.lc_collate.empty()) sql += " LC_COLLATE " + admin.QuoteLiteral(db.lc_collate);
  if (!db.lc_ctype.empty()) sql += " LC_CTYPE " + admin.QuoteLiteral(db.lc_ctype);
  const bool icu = db.locale_provider == "icu";
  const bool builtin = db.locale_provider == "builtin";
  if ((icu && version < 150000) || (builtin && version < 170000)) {
    log::Warn("database \"" + db.name + "\" used the " + db.locale_provider +
              " locale provider, which PostgreSQL " + std::to_string(version / 10000) +
              " does not have; it is created with libc");
  } else if (icu || builtin) {
    // ICU_LOCALE (15+) and BUILTIN_LOCALE (17+) set only the provider's locale; LOCALE would
    // also stand in for an LC_COLLATE / LC_CTYPE not given, which need not be a libc locale.
    sql += " LOCALE_PROVIDER " + db.locale_provider;
    if (!db.icu_locale.empty()) {
      sql += (icu ? " ICU_LOCALE " : " BUILTIN_LOCALE ") + admin.QuoteLiteral(db.icu_locale);
    }
  }
  if (!db.tablespace.empty()) {
    auto r =
        admin.Query("SELECT 1 FROM pg_catalog.pg_tablespace WHERE spcname = $1", {db.tablespace});
    if (!r.ok()) return r.status().WithContext("look up tablespace " + db.tablespace);
    if (r->rows() == 1) {
      sql += " TABLESPACE " + admin.QuoteIdent(db.tablespace);
    } else {
      log::Warn("tablespace \"" + db.tablespace + "\" of database \"" + db.name +
                "\" does not exist on this server; the database goes to pg_default");
    }
  }
  Status st = admin.Exec(sql);
  if (st.ok()) return st;
  if (st.code() == StatusCode::kServer && st.message().starts_with("ERROR 42P04:")) {
    return Status(
        StatusCode::kRefused,
        "target database \"" + db.name +
            "\" already exists; drop it first, or restore into an existing empty database "
            "without creating it");
  }
  return st.WithContext("CREATE DATABASE " + db.name);
}

}  // namespace dbb::pg
