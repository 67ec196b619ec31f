// Options read from a configuration file (/etc/greenchannel/greenchannel.conf for the packaged
// service): `name = value` lines with the command's long option names, `#` comments. Options
// given on the command line win, because they are stored first (program_options keeps the first
// value stored for each option).
#pragma once

#include <boost/program_options.hpp>
#include <string>

namespace gc::cli {

// Adds the file's options to `vm` (call after the command line is stored, before notify).
// With `only_known`, lines for options `desc` does not have are skipped (a command that needs a
// few of serve's settings); otherwise an unknown name is an error. Throws po::error naming the
// file.
void store_config_file(const std::string& path,
                       const boost::program_options::options_description& desc,
                       boost::program_options::variables_map& vm, bool only_known = false);

}  // namespace gc::cli
