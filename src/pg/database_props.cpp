#include "pg/database_props.h"

#include <algorithm>
#include <array>

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

}  // namespace

Result<DatabaseProps> ReadDatabaseProps(Connection& conn) {
  auto r = conn.Query(
      "SELECT pg_catalog.shobj_description(d.oid, 'pg_database'), s.setconfig"
      " FROM pg_catalog.pg_database d LEFT JOIN pg_catalog.pg_db_role_setting s"
      " ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = current_database()");
  if (!r.ok()) return r.status().WithContext("read the database's settings and comment");
  DatabaseProps props;
  props.comment = std::string(r->Get(0, 0));
  if (!r->IsNull(0, 1)) {
    auto elems =
        conn.Query("SELECT pg_catalog.unnest($1::pg_catalog.text[])", {std::string(r->Get(0, 1))});
    if (!elems.ok()) return elems.status();
    for (int i = 0; i < elems->rows(); ++i) props.settings.emplace_back(elems->Get(i, 0));
  }
  return props;
}

Status ApplyDatabaseProps(Connection& conn, const std::string& dbname, const DatabaseProps& props) {
  const std::string db = conn.QuoteIdent(dbname);
  for (const std::string& setting : props.settings) {
    const size_t eq = setting.find('=');
    if (eq == std::string::npos) continue;  // not what the server stores; nothing to apply
    const std::string name = setting.substr(0, eq);
    const std::string value = setting.substr(eq + 1);
    std::string sql = "ALTER DATABASE " + db + " SET " + conn.QuoteIdent(name) + " TO ";
    if (IsListSetting(name)) {
      const std::vector<std::string> elements = SplitList(value);
      for (size_t i = 0; i < elements.size(); ++i) {
        sql += (i ? ", " : "") + conn.QuoteLiteral(elements[i]);
      }
    } else {
      sql += conn.QuoteLiteral(value);
    }
    DBB_RETURN_IF_ERROR(conn.Exec(sql).WithContext("database setting " + name));
  }
  if (!props.comment.empty()) {
    DBB_RETURN_IF_ERROR(
        conn.Exec("COMMENT ON DATABASE " + db + " IS " + conn.QuoteLiteral(props.comment)));
  }
  return Status::Ok();
}

}  // namespace dbb::pg
