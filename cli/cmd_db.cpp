// `greenchannel db backup FILE` and `db restore FILE`: parses the arguments and calls
// storage's online backup (gc/backup.hpp).
#include <boost/program_options.hpp>
#include <cstring>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "gc/backup.hpp"
#include "gc/storage.hpp"
#include "paths.hpp"
#include "subcommand.hpp"

namespace po = boost::program_options;

namespace gc::cli {

namespace {

constexpr const char* kUsage =
    "usage: greenchannel db <backup|restore> FILE [--db PATH]\n"
    "  backup FILE    copy the database to FILE while `serve` runs (SQLite online backup: one\n"
    "                 consistent snapshot), verified with PRAGMA integrity_check\n"
    "  restore FILE   verify the backup FILE and copy it to --db, which must not exist yet\n";

int db_copy(int argc, char** argv, bool backup) {
  std::string file;
  std::string db;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")("file", po::value(&file)->required(),
                                                 backup ? "backup to write" : "backup to read")(
      "db", po::value(&db)->default_value(default_db_path().string()),
      "database: a SQLite file, or postgresql://user@host:port/dbname (password from PGPASSWORD or "
      "~/.pgpass)");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  const std::string usage = std::string("usage: greenchannel db ") +
                            (backup ? "backup" : "restore") + " FILE [--db PATH]";
  if (auto rc = parse_options("db", argc, argv, desc, &pos, vm, usage)) {
    return *rc;
  }
  try {
    const auto report =
        backup ? storage::backup_database(db, file) : storage::restore_database(file, db);
    std::cout << (backup ? "backed up " + db + " to " + file : "restored " + file + " to " + db)
              << ": " << report.bytes << " bytes, schema version " << report.schema_version
              << ", integrity_check ok\n";
  } catch (const storage::Error& e) {
    std::cerr << "greenchannel db " << (backup ? "backup" : "restore") << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace

int cmd_db(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string sub = argv[1];
  if (sub == "backup") return db_copy(argc - 1, argv + 1, true);
  if (sub == "restore") return db_copy(argc - 1, argv + 1, false);
  std::cerr << "greenchannel db: unknown subcommand '" << sub << "'\n" << kUsage;
  return 2;
}

}  // namespace gc::cli
