#include "subcommand.hpp"

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "gc/storage.hpp"

namespace gc::cli {

namespace po = boost::program_options;

std::optional<int> parse_options(std::string_view command, int argc, char** argv,
                                 const po::options_description& desc,
                                 const po::positional_options_description* pos,
                                 po::variables_map& vm, const std::string& usage) {
  try {
    auto parser = po::command_line_parser(argc, argv).options(desc);
    if (pos != nullptr) parser.positional(*pos);
    po::store(parser.run(), vm);
    if (vm.count("help") != 0U) {
      std::cout << usage << "\n" << desc;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "greenchannel " << command << ": " << e.what() << "\n" << usage << "\n" << desc;
    return 2;
  }
  return std::nullopt;
}

std::string cli_actor() {
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user != nullptr && *user != '\0' ? user : "unknown");
}

std::string utc_text(std::int64_t unix_ms) {
  const std::time_t tt = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void require_existing_db(const std::string& db) {
  if (!storage::is_postgresql_uri(db) && !std::filesystem::exists(db)) {
    throw storage::Error("no database at " + db +
                         " (run from the directory `greenchannel serve` uses, or pass --db)");
  }
}

}  // namespace gc::cli
