#include "watched_ecg.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <stdexcept>

#include "gc/formats.hpp"
#include "gc/framing.hpp"
#include "gc/watch_journal.hpp"
#include "gc/wfdb.hpp"

namespace gc::agent {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxHeaderBytes = 1 << 20;

bool is_header(const std::string& name) {
  std::string ext = fs::path(name).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".hea";
}

std::vector<std::uint8_t> read_file(const fs::path& path, std::size_t max_bytes) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) throw std::runtime_error(path.filename().string() + ": " + ec.message());
  if (size > max_bytes) {
    throw std::runtime_error(path.filename().string() + ": " + std::to_string(size) +
                             " bytes, more than the " + std::to_string(max_bytes) +
                             " an ECG file may have");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.filename().string() + ": cannot open");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) {
    throw std::runtime_error(path.filename().string() + ": changed while being read");
  }
  return bytes;
}

}  // namespace

std::vector<std::string> wfdb_members(const fs::path& dir, const std::string& hea) {
  std::vector<std::string> members{hea};
  try {
    const auto bytes = read_file(dir / hea, kMaxHeaderBytes);
    const wfdb::Header header = wfdb::parse_header(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), hea);
    for (const auto& s : header.signals) {
      if (std::find(members.begin(), members.end(), s.file_name) == members.end()) {
        members.push_back(s.file_name);
      }
    }
  } catch (const std::exception&) {
    // Not (yet) a whole header: the settle logic decides when that is final.
  }
  return members;
}

std::vector<std::vector<std::uint8_t>> read_members(const fs::path& dir,
                                                    const std::vector<std::string>& members) {
  std::vector<std::vector<std::uint8_t>> out;
  for (const auto& m : members) {
    // Only files of the watched folder: a header naming "../x" or "sub/x" is not followed.
    if (m.empty() || m.find('/') != std::string::npos || m == "." || m == "..") {
      throw std::runtime_error(members.front() + ": data file '" + m +
                               "' is not a file of the watched folder");
    }
    out.push_back(read_file(dir / m, is_header(m) ? kMaxHeaderBytes : formats::kMaxFileBytes));
  }
  return out;
}

std::string content_sha256(const std::vector<std::string>& members,
                           const std::vector<std::vector<std::uint8_t>>& bytes) {
  if (members.size() == 1 && !is_header(members.front())) return sha256_hex(bytes.front());
  // The header's own name is not part of the content (a renamed copy is the same ECG); the data
  // files' names are, through the header's bytes.
  std::vector<std::uint8_t> all;
  for (std::size_t i = 0; i < members.size(); ++i) {
    const std::string head = std::to_string(bytes[i].size()) + '\n';
    all.insert(all.end(), head.begin(), head.end());
    all.insert(all.end(), bytes[i].begin(), bytes[i].end());
  }
  return sha256_hex(all);
}

ParsedEcg parse_members(const std::vector<std::string>& members,
                        const std::vector<std::vector<std::uint8_t>>& bytes) {
  ParsedEcg out;
  const std::string& name = members.front();
  if (is_header(name)) {
    const auto& text = bytes.front();
    wfdb::Header header = wfdb::parse_header(
        std::string_view(reinterpret_cast<const char*>(text.data()), text.size()), name);
    wfdb::DataFiles files;
    for (std::size_t i = 1; i < members.size(); ++i) files.emplace(members[i], bytes[i]);
    const wfdb::Record record = wfdb::parse_record(std::move(header), files);
    out.converted = study_from_record(record, name);
    out.converted.study.age_years = record.header.age_years;
    if (record.header.sex) out.converted.study.sex = std::string(1, *record.header.sex);
    out.format = "WFDB";
    ingest::CartStudy::Source source;
    source.format = "WFDB";
    source.file_name = proto::printable_text(name, proto::Limits{}.max_text_chars);
    out.converted.study.source = std::move(source);
    return out;
  }
  formats::EcgFile ecg;
  try {
    ecg = formats::read_ecg(bytes.front());
  } catch (const formats::Error& e) {
    throw formats::Error(name + ": " + e.what());
  }
  out.converted = study_from_ecg_file(ecg, name);
  out.format = std::string(formats::to_string(ecg.source.format));
  if (!ecg.source.acquired_at.empty()) {
    out.acquired_at_unix_ms =
        parse_acquired_at_unix_ms(ecg.source.acquired_at, ecg.source.acquired_zone);
  }
  return out;
}

}  // namespace gc::agent
