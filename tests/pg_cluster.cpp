// A throwaway PostgreSQL cluster for a test binary (see pg_cluster.hpp).
#include "pg_cluster.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "../storage/src/pg.hpp"

namespace gc::test {

namespace {

namespace fs = std::filesystem;

constexpr int kPort = 5432;  // names the socket file only: the socket directory is private

fs::path find_bindir() {
  if (const char* env = std::getenv("GC_PG_BINDIR"); env != nullptr && *env != '\0') {
    return env;
  }
  std::vector<fs::path> candidates;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (fs::exists(entry.path() / "bin" / "initdb")) candidates.push_back(entry.path() / "bin");
  }
  if (candidates.empty()) return {};
  // Newest major version first ("15" > "13"; compared as numbers).
  std::sort(candidates.begin(), candidates.end(), [](const fs::path& a, const fs::path& b) {
    return std::atoi(a.parent_path().filename().c_str()) >
           std::atoi(b.parent_path().filename().c_str());
  });
  return candidates.front();
}

std::string tail_of(const fs::path& file, std::size_t max_chars = 2000) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_chars) s = "…" + s.substr(s.size() - max_chars);
  return s;
}

// Runs argv (as `user` through runuser when user is not empty) in `cwd`, its output appended to
// `log`. Returns the exit status (-1 if it could not run).
int run(const std::vector<std::string>& argv, const std::string& user, const fs::path& cwd,
        const fs::path& log) {
  std::vector<std::string> full;
  if (!user.empty()) full = {"runuser", "-u", user, "--"};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (auto& a : full) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    // The unprivileged user may not be able to read the test's working directory.
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string unprivileged_user() {
  // initdb and postgres refuse to run as root.
  return ::geteuid() == 0 ? "nobody" : "";
}

fs::path required_bindir() {
  fs::path bindir = find_bindir();
  if (bindir.empty() || !fs::exists(bindir / "initdb") || !fs::exists(bindir / "pg_ctl")) {
    throw std::runtime_error(
        "PostgreSQL tests need the server binaries (initdb, pg_ctl, postgres): none found in "
        "/usr/lib/postgresql/*/bin or GC_PG_BINDIR. Install postgresql-15 (scripts/test does) "
        "or set GC_PG_BINDIR.");
  }
  return bindir;
}

std::string socket_name() {
  return ".s.PGSQL." + std::to_string(kPort);
}

}  // namespace

PgCluster& PgCluster::instance() {
  if (const char* shared = std::getenv("GC_PG_TEST_CLUSTER");
      shared != nullptr && *shared != '\0') {
    static PgCluster attached{fs::path(shared), Mode::attach};
    return attached;
  }
  static PgCluster cluster;
  return cluster;
}

PgCluster::PgCluster(fs::path dir, Mode mode) : dir_(std::move(dir)) {
  if (mode == Mode::start_and_leave) {
    try {
      start();  // owned_ until it runs: a failed start is cleaned up
    } catch (...) {
      stop();
      throw;
    }
    owned_ = false;
    return;
  }
  owned_ = false;
  if (!fs::exists(dir_ / socket_name())) {
    throw std::runtime_error("GC_PG_TEST_CLUSTER=" + dir_.string() +
                             " names no running PostgreSQL (did the ctest fixture "
                             "'gc_pg_cluster start' run and succeed?)");
  }
}

PgCluster::PgCluster() {
  std::string templ = (fs::temp_directory_path() / "gc-pg-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory for PostgreSQL: " +
                             std::error_code(errno, std::generic_category()).message());
  }
  dir_ = templ;
  try {
    start();
  } catch (...) {
    stop();  // also removes the directory when the binaries are missing
    throw;
  }
}

PgCluster::~PgCluster() {
  stop();
}

void PgCluster::start() {
  bindir_ = required_bindir();
  run_as_ = unprivileged_user();
  if (!run_as_.empty()) {
    const passwd* pw = ::getpwnam(run_as_.c_str());
    if (pw == nullptr) throw std::runtime_error("running as root but there is no user 'nobody'");
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      throw std::runtime_error("cannot chown " + dir_.string() + " to nobody");
    }
  }
  const fs::path log = dir_ / "commands.log";
  const fs::path data = dir_ / "data";
  if (run({(bindir_ / "initdb").string(), "-D", data.string(), "-U", "gc", "-A", "trust", "-E",
           "UTF8", "--no-locale", "--no-sync"},
          run_as_, dir_, log) != 0) {
    const std::string why = tail_of(log);
    stop();
    throw std::runtime_error("initdb failed:\n" + why);
  }
  const std::string options = "-k " + dir_.string() + " -p " + std::to_string(kPort) +
                              " -c listen_addresses='' -c fsync=off -c full_page_writes=off"
                              " -c max_connections=100";
  running_ = true;  // from here on, stop() tries pg_ctl stop
  if (run({(bindir_ / "pg_ctl").string(), "-D", data.string(), "-l", (dir_ / "server.log").string(),
           "-w", "-t", "60", "-o", options, "start"},
          run_as_, dir_, log) != 0) {
    const std::string why = tail_of(log) + "\n" + tail_of(dir_ / "server.log");
    stop();
    throw std::runtime_error("PostgreSQL did not start:\n" + why);
  }
}

void PgCluster::stop() noexcept {
  if (dir_.empty() || !owned_) return;
  if (running_) {
    run({(bindir_ / "pg_ctl").string(), "-D", (dir_ / "data").string(), "-m", "immediate", "-w",
         "stop"},
        run_as_, dir_, dir_ / "commands.log");
    running_ = false;
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  dir_.clear();
}

void PgCluster::start_shared(const fs::path& dir) {
  stop_shared(dir);  // a cluster left over from an interrupted run
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all);  // the socket lives here: owner only
  PgCluster cluster(dir, Mode::start_and_leave);
}

void PgCluster::stop_shared(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir / "data" / "postmaster.pid", ec)) {
    run({(required_bindir() / "pg_ctl").string(), "-D", (dir / "data").string(), "-m", "immediate",
         "-w", "stop"},
        unprivileged_user(), dir, dir / "commands.log");
  }
  fs::remove_all(dir, ec);
}

std::string PgCluster::create_database() {
  const std::string where = "?host=" + dir_.string() + "&port=" + std::to_string(kPort);
  // Unique across the processes that share a cluster under ctest.
  const std::string name =
      "gc_test_" + std::to_string(::getpid()) + "_" + std::to_string(++next_db_);
  storage::pg::connect("postgresql://gc@/postgres" + where)->exec("CREATE DATABASE " + name);
  return "postgresql://gc@/" + name + where;
}

}  // namespace gc::test
