// Shared by the subcommands with sub-verbs (device, user, case, roster): option parsing with
// --help and usage errors, the CLI's audit actor, UTC text, and the "database must exist" check.
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gc::cli {

// Parses options into vm. Returns an exit code when the command should stop: 0 after printing
// --help, 2 after a usage error (printed as "greenchannel COMMAND: what" with the usage and the
// options); nullopt to go on.
std::optional<int> parse_options(std::string_view command, int argc, char** argv,
                                 const boost::program_options::options_description& desc,
                                 const boost::program_options::positional_options_description* pos,
                                 boost::program_options::variables_map& vm,
                                 const std::string& usage);

// "cli:<login name>" for audit rows.
std::string cli_actor();

// 2026-05-12T08:54:00Z
std::string utc_text(std::int64_t unix_ms);

// list/revoke/disable act on an existing database: a wrong --db or working directory is an
// error, not a new empty database. Throws storage::Error.
void require_existing_db(const std::string& db);

}  // namespace gc::cli
