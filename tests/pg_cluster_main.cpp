// gc_pg_cluster start|stop DIR — the shared PostgreSQL cluster of a ctest run (the CTest fixture
// in tests/CMakeLists.txt): started before the storage tests, stopped and deleted after them.
#include <cstdio>
#include <exception>
#include <string>

#include "pg_cluster.hpp"

int main(int argc, char** argv) {
  if (argc != 3 || (std::string(argv[1]) != "start" && std::string(argv[1]) != "stop")) {
    std::fprintf(stderr, "usage: gc_pg_cluster start|stop DIR\n");
    return 2;
  }
  try {
    if (std::string(argv[1]) == "start") {
      gc::test::PgCluster::start_shared(argv[2]);
    } else {
      gc::test::PgCluster::stop_shared(argv[2]);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gc_pg_cluster %s: %s\n", argv[1], e.what());
    return 1;
  }
  return 0;
}
