// A fixture for the src/pg integration tests: a fresh database per test on the shared test
// server (support/pg_server.h), and connections to it.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "pg/connection.h"
#include "support/pg_server.h"

namespace dbb::pg {

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = dbb::testing::PgServer::Shared();
    if (server_ == nullptr) GTEST_SKIP() << dbb::testing::PgServer::SkipReason();
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    db_ = "pgtest_" + std::string(info->name());
    if (db_.size() > 63) db_.resize(63);
    server_->DropDatabase(db_);
    server_->CreateDatabase(db_);
  }
  void TearDown() override {
    if (server_ != nullptr) server_->DropDatabase(db_);
  }

  ConnParams Params(const std::string& db) const {
    return ConnParams{.host = server_->socket_dir(),
                      .port = std::to_string(server_->port()),
                      .user = "postgres",
                      .dbname = db};
  }
  ConnParams Params() const { return Params(db_); }

  // A connection to this test's database; a failure ends the test.
  Connection Connect() {
    Result<Connection> conn = Connection::Open(Params());
    if (!conn.ok()) {
      ADD_FAILURE() << conn.status().ToString();
      std::abort();
    }
    return std::move(conn).value();
  }

  std::string Psql(const std::string& sql) { return server_->Psql(db_, sql); }

  dbb::testing::PgServer* server_ = nullptr;
  std::string db_;
};

}  // namespace dbb::pg
