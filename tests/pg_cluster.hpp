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
// Under ctest every test case is its own process: there one cluster is shared by all of them
// (a CTest fixture runs `gc_pg_cluster start DIR` before and `gc_pg_cluster stop DIR` after, and
// GC_PG_TEST_CLUSTER=DIR tells instance() to use it instead of starting its own).
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
  // (postgresql://gc@/gc_test_<pid>_N?host=<socket dir>&port=5432).
  std::string create_database();

  // The shared cluster of a ctest run (tests/pg_cluster_main.cpp): started in `dir` (replacing
  // any earlier one there) and left running, or stopped and deleted. Throw like instance().
  static void start_shared(const std::filesystem::path& dir);
  static void stop_shared(const std::filesystem::path& dir);

  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

 private:
  PgCluster();
  enum class Mode { attach, start_and_leave };
  // A cluster in `dir` that this object never stops: an existing one (attach) or one it starts
  // and leaves running (start_and_leave: stopped here only if starting fails).
  PgCluster(std::filesystem::path dir, Mode mode);
  void start();
  void stop() noexcept;

  std::filesystem::path bindir_;
  std::filesystem::path dir_;  // data/, the socket and the server log
  std::string run_as_;         // "" or the unprivileged user that owns the cluster
  bool running_ = false;
  bool owned_ = true;  // started (and so stopped and deleted) by this object
  int next_db_ = 0;
};

}  // namespace gc::test
