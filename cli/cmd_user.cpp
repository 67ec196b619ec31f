// `greenchannel user add|list|disable`: reading-station accounts. The password is read from
// standard input (--password-stdin) or the environment (GC_USER_PASSWORD), never from the command
// line (visible in `ps` and shell history); only a salted PBKDF2 hash is stored.
#include <unistd.h>
#include <boost/json.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "commands.hpp"
#include "gc/station.hpp"
#include "gc/station_store.hpp"
#include "paths.hpp"
#include "subcommand.hpp"

namespace po = boost::program_options;

namespace gc::cli {

namespace {

constexpr const char* kUsage =
    "usage: greenchannel user <add|list|disable|enable|set|reset-password> [options]\n"
    "  add USERNAME --role cardiologist|coordinator|admin (--password-stdin | env "
    "GC_USER_PASSWORD)\n"
    "                                  create a reading-station account\n"
    "  list                            list accounts (name, role, status)\n"
    "  disable USERNAME                disable an account and end its sessions\n"
    "  enable USERNAME                 re-enable a disabled account (its password unchanged)\n"
    "  set USERNAME [--role ROLE] [--display-name-zh NAME] [--contact TEXT]\n"
    "                                  change the role (ends the sessions) or Chinese name\n"
    "  reset-password USERNAME         a new generated password, printed once; sessions end;\n"
    "                                  the user chooses their own at the next login\n"
    "Each accepts --db PATH (default: var/greenchannel.db) and --help.\n";

int user_add(int argc, char** argv) {
  std::string username, role_text, db;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")("username", po::value(&username)->required(),
                                                 "account name (A–Z a–z 0–9 . _ -)")(
      "role", po::value(&role_text)->required(), "cardiologist, coordinator or admin")(
      "password-stdin", "read the password from the first line of standard input")(
      "db", po::value(&db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)");
  po::positional_options_description pos;
  pos.add("username", 1);
  po::variables_map vm;
  const char* usage_line =
      "usage: greenchannel user add USERNAME --role ROLE (--password-stdin | env "
      "GC_USER_PASSWORD) [--db PATH]";
  if (auto rc = parse_options("user", argc, argv, desc, &pos, vm, usage_line)) return *rc;
  const auto role = station::parse_role(role_text);
  if (!role) {
    std::cerr << "greenchannel user add: --role must be cardiologist, coordinator or admin\n";
    return 2;
  }
  std::string password;
  if (vm.count("password-stdin") != 0U) {
    if (::isatty(STDIN_FILENO) != 0) std::cerr << "password: " << std::flush;
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else if (const char* env = std::getenv("GC_USER_PASSWORD"); env != nullptr) {
    password = env;
  } else {
    std::cerr << "greenchannel user add: give the password on standard input (--password-stdin) "
                 "or in GC_USER_PASSWORD; never on the command line\n";
    return 2;
  }
  const std::filesystem::path db_path(db);
  create_database_dir(db);
  station::add_user(db_path, username, *role, password, cli_actor());
  std::cout << "added " << username << " (" << role_text << ")\n";
  return 0;
}

int user_list(int argc, char** argv) {
  std::string db;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "db", po::value(&db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)")("json", "print a JSON array");
  po::variables_map vm;
  if (auto rc = parse_options("user", argc, argv, desc, nullptr, vm,
                              "usage: greenchannel user list [--db PATH]")) {
    return *rc;
  }
  require_existing_db(db);
  auto store = storage::StationStore::open(db);
  const auto users = store->list_users();
  const auto now = storage::now_unix_ms();
  const auto status = [now](const storage::UserRecord& u) -> std::string {
    if (u.disabled_ms) return "disabled";
    if (u.locked_until_ms && *u.locked_until_ms > now) return "locked";
    return "active";
  };
  if (vm.count("json") != 0U) {
    boost::json::array out;
    for (const auto& u : users) {
      out.push_back(boost::json::object{
          {"username", u.username},
          {"role", u.role},
          {"created_ms", u.created_ms},
          {"status", status(u)},
          {"display_name_zh", u.display_name_zh},
          {"last_login_ms",
           u.last_login_ms ? boost::json::value(*u.last_login_ms) : boost::json::value(nullptr)},
          {"must_change_password", u.must_change_password},
          {"contact", u.contact}});
    }
    std::cout << boost::json::serialize(out) << "\n";
    return 0;
  }
  if (users.empty()) {
    std::cout << "no users (greenchannel user add USERNAME --role ROLE --password-stdin)\n";
    return 0;
  }
  std::size_t width = std::strlen("USERNAME");
  for (const auto& u : users) width = std::max(width, u.username.size());
  const auto pad = [](const std::string& s, std::size_t w) {
    return s + std::string(w > s.size() ? w - s.size() : 0, ' ');
  };
  std::cout << pad("USERNAME", width) << "  " << pad("ROLE", 12)
            << "  CREATED (UTC)         STATUS\n";
  for (const auto& u : users) {
    std::cout << pad(u.username, width) << "  " << pad(u.role, 12) << "  " << utc_text(u.created_ms)
              << "  " << status(u) << (u.must_change_password ? ", must change password" : "")
              << "\n";
  }
  return 0;
}

// `user enable` / `user disable USERNAME [--db PATH]`: one account switched on or off.
int user_switch(int argc, char** argv, const std::string& verb,
                bool (*apply)(const std::filesystem::path&, const std::string&, const std::string&),
                const std::string& done) {
  std::string username, db;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")("username", po::value(&username)->required(),
                                                 "account name")(
      "db", po::value(&db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)");
  po::positional_options_description pos;
  pos.add("username", 1);
  po::variables_map vm;
  if (auto rc = parse_options("user", argc, argv, desc, &pos, vm,
                              "usage: greenchannel user " + verb + " USERNAME [--db PATH]")) {
    return *rc;
  }
  require_existing_db(db);
  if (!apply(db, username, cli_actor())) {
    std::cerr << "greenchannel user " << verb << ": no user '" << username << "' in " << db << "\n";
    return 1;
  }
  std::cout << verb << "d " << username << ": " << done << "\n";
  return 0;
}

int user_enable(int argc, char** argv) {
  return user_switch(argc, argv, "enable", &station::enable_user, "it can log in again");
}

// Options shared by set and reset-password: USERNAME and --db.
void add_name_and_db(po::options_description& desc, std::string& username, std::string& db) {
  desc.add_options()("help,h", "show this help")("username", po::value(&username)->required(),
                                                 "account name")(
      "db", po::value(&db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)");
}

int user_set(int argc, char** argv) {
  std::string username, db, role, display_name, contact;
  po::options_description desc("options");
  add_name_and_db(desc, username, db);
  desc.add_options()("role", po::value(&role), "cardiologist, coordinator or admin")(
      "display-name-zh", po::value(&display_name), "the Chinese display name (\"\" clears it)")(
      "contact", po::value(&contact),
      "how the doctor is reached when paged: a phone number or WeChat Work user id, sent in the "
      "alert webhook (\"\" clears it)");
  po::positional_options_description pos;
  pos.add("username", 1);
  po::variables_map vm;
  if (auto rc = parse_options("user", argc, argv, desc, &pos, vm,
                              "usage: greenchannel user set USERNAME [--role ROLE] "
                              "[--display-name-zh NAME] [--contact TEXT] [--db PATH]")) {
    return *rc;
  }
  storage::UserChange change;
  if (vm.count("role") != 0U) {
    if (!station::parse_role(role)) {
      std::cerr << "greenchannel user set: --role must be cardiologist, coordinator or admin\n";
      return 2;
    }
    change.role = role;
  }
  if (vm.count("display-name-zh") != 0U) change.display_name_zh = display_name;
  if (vm.count("contact") != 0U) change.contact = contact;
  if (!change.role && !change.display_name_zh && !change.contact) {
    std::cerr << "greenchannel user set: nothing to change (--role, --display-name-zh, --contact)\n";
    return 2;
  }
  require_existing_db(db);
  auto store = storage::StationStore::open(db);
  switch (store->change_user(username, change, storage::now_unix_ms(), cli_actor())) {
    case storage::UserChangeResult::ok:
      std::cout << "changed " << username << "\n";
      return 0;
    case storage::UserChangeResult::not_found:
      std::cerr << "greenchannel user set: no user '" << username << "' in " << db << "\n";
      return 1;
    case storage::UserChangeResult::last_admin:
      std::cerr << "greenchannel user set: refused: no enabled admin would remain\n";
      return 1;
  }
  return 1;
}

int user_reset_password(int argc, char** argv) {
  std::string username, db;
  po::options_description desc("options");
  add_name_and_db(desc, username, db);
  po::positional_options_description pos;
  pos.add("username", 1);
  po::variables_map vm;
  if (auto rc = parse_options("user", argc, argv, desc, &pos, vm,
                              "usage: greenchannel user reset-password USERNAME [--db PATH]")) {
    return *rc;
  }
  require_existing_db(db);
  const auto password = station::reset_password(db, username, cli_actor());
  if (!password) {
    std::cerr << "greenchannel user reset-password: no user '" << username << "' in " << db << "\n";
    return 1;
  }
  std::cout << "new password for " << username
            << " (shown once; tell them in person; they choose their own at the next login): "
            << *password << "\n";
  return 0;
}

int user_disable(int argc, char** argv) {
  return user_switch(argc, argv, "disable", &station::disable_user,
                     "it can no longer log in; its sessions are ended");
}

}  // namespace

int cmd_user(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string sub = argv[1];
  if (sub == "add") return user_add(argc - 1, argv + 1);
  if (sub == "list") return user_list(argc - 1, argv + 1);
  if (sub == "disable") return user_disable(argc - 1, argv + 1);
  if (sub == "enable") return user_enable(argc - 1, argv + 1);
  if (sub == "set") return user_set(argc - 1, argv + 1);
  if (sub == "reset-password") return user_reset_password(argc - 1, argv + 1);
  std::cerr << "greenchannel user: unknown subcommand '" << sub << "'\n" << kUsage;
  return 2;
}

}  // namespace gc::cli
