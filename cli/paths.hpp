// Default file locations of the greenchannel CLI, relative to the working directory (the
// README's quick start runs everything from the repository root).
#pragma once

#include <filesystem>

namespace gc::cli {

// The server's SQLite database: ./var/greenchannel.db (parent created on open).
inline std::filesystem::path default_db_path() { return std::filesystem::path("var") / "greenchannel.db"; }

}  // namespace gc::cli
