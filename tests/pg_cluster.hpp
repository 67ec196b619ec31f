// A throwaway PostgreSQL cluster for a test binary: initdb into a temporary directory, postgres
// listening only on a Unix socket in that directory (listen_addresses = '', so no TCP port and
// no clash with other clusters or test runs; the directory is private to its owner), one fresh
// database per test, and the cluster stopped and deleted when the binary exits. Started once,
// at the first test that asks for it.
//
// initdb refuses to run as root: as root (CI) the cluster runs as the unprivileged user
// `nobody` (runuser), its directory chowned to it; as a normal user it runs as that user.
// The server binaries come from GC_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin (Debian's
// postgresql-15). If they are missing, instance() throws: a PostgreSQL test fails, it does not
// skip (scripts/test installs postgresql-15).
//
// fsync is off in this cluster: the tests check what is stored, not PostgreSQL's own durability,
// and they run on shared machines. The stores still ask for synchronous_commit = on.
#pragma once

#include <filesystem>
#include <string>

namespace gc::test {

class PgCluster {
 public:
  // The binary's cluster, started on first use. Throws std::runtime_error saying why it cannot
  // start (no binaries, initdb or postgres failed — with the end of their log).
  static PgCluster& instance();

  // Creates an empty database and returns its libpq URI
  // (postgresql://gc@/gc_test_N?host=<socket dir>&port=5432).
  std::string create_database();

  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

 private:
  PgCluster();
  void stop() noexcept;

  std::filesystem::path bindir_;
  std::filesystem::path dir_;  // data/, the socket and the server log
  std::string run_as_;         // "" or the unprivileged user that owns the cluster
  bool running_ = false;
  int next_db_ = 0;
};

}  // namespace gc::test
