#include "config_file.hpp"

#include <fstream>

namespace gc::cli {

namespace po = boost::program_options;

void store_config_file(const std::string& path, const po::options_description& desc,
                       po::variables_map& vm, bool only_known) {
  std::ifstream in(path);
  if (!in) throw po::error("cannot read the configuration file " + path);
  try {
    po::store(po::parse_config_file(in, desc, only_known), vm);
  } catch (const po::error& e) {
    throw po::error(path + ": " + e.what());
  }
}

}  // namespace gc::cli
