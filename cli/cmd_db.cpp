// `greenchannel db backup FILE`, `db restore FILE` and `db copy --from A --to B`: parses the
// arguments and calls storage's online backup (gc/backup.hpp) or its copy (gc/db_copy.hpp).
#include <boost/program_options.hpp>
#include <cstring>
#include <iostream>
#include <string>

#include "commands.hpp"
#include "gc/backup.hpp"
#include "gc/db_copy.hpp"
#include "gc/storage.hpp"
#include "paths.hpp"
#include "subcommand.hpp"

namespace po = boost::program_options;

namespace gc::cli {

namespace {

constexpr const char* kUsage =
    "usage: greenchannel db <backup|restore> FILE [--db PATH]\n"
    "       greenchannel db copy --from DB --to DB\n"
    "  backup FILE    copy the database to FILE while `serve` runs (SQLite online backup: one\n"
    "                 consistent snapshot), verified with PRAGMA integrity_check; a PostgreSQL\n"
    "                 --db is written as a SQLite file (db copy's snapshot, every row compared)\n"
    "  restore FILE   verify the backup FILE and copy it to --db, which must not exist yet (a\n"
    "                 postgresql:// --db: a new or empty database)\n"
    "  copy           copy a whole database into a new or empty one, e.g. SQLite to PostgreSQL\n"
    "                 (--to postgresql://user@host:port/dbname), verified before it commits\n";

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

int db_copy_between(int argc, char** argv) {
  std::string from;
  std::string to;
  bool quiet = false;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")(
      "from", po::value(&from)->required(),
      "database to copy: a SQLite file or postgresql://user@host:port/dbname")(
      "to", po::value(&to)->required(),
      "new or empty database to copy into (created and migrated if needed); the password of a "
      "postgresql:// URI from PGPASSWORD or ~/.pgpass")("quiet,q", po::bool_switch(&quiet),
                                                        "no progress lines");
  po::variables_map vm;
  if (auto rc = parse_options("db copy", argc, argv, desc, nullptr, vm,
                              "usage: greenchannel db copy --from DB --to DB")) {
    return *rc;
  }
  storage::CopyOptions options;
  std::string last_table;
  if (!quiet) {
    options.progress = [&](std::string_view table, std::int64_t rows) {
      // One line per table (its final count), not one per page.
      if (table != last_table) {
        if (!last_table.empty()) std::cerr << "\n";
        last_table = table;
      }
      std::cerr << "\r  " << table << ": " << rows << " rows" << std::flush;
    };
  }
  try {
    const auto report = storage::copy_database(from, to, options);
    if (!last_table.empty()) std::cerr << "\n";
    std::int64_t rows = 0;
    for (const auto& t : report.tables) rows += t.rows;
    std::cout << "copied " << storage::describe_database(from) << " to "
              << storage::describe_database(to) << ": schema version " << report.schema_version
              << ", " << rows << " rows in " << report.tables.size()
              << " tables, every row compared equal; " << report.studies_verified
              << " studies' samples decoded equal on both sides (" << report.samples_verified
              << " samples; " << report.complete_studies_crc_checked
              << " complete studies match their cart's CRC-32); " << report.elapsed_ms << " ms\n";
    for (const auto& t : report.tables) {
      std::cout << "  " << t.table << " " << t.rows << "\n";
    }
  } catch (const storage::Error& e) {
    if (!last_table.empty()) std::cerr << "\n";
    std::cerr << "greenchannel db copy: " << e.what() << "\n";
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
  if (sub == "copy") return db_copy_between(argc - 1, argv + 1);
  std::cerr << "greenchannel db: unknown subcommand '" << sub << "'\n" << kUsage;
  return 2;
}

}  // namespace gc::cli
