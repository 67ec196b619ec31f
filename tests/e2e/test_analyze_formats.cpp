// The real carts' files in ../shared/ecg-formats through the CLI (issue 13): `analyze` reads
// every format and `--json` keeps the contract's keys and adds the "source" object; `cart` streams
// them to a server (8-channel files with the limb leads derived there); a file that is no ECG
// fails with exit status 1 and one line naming the file and the reason.
#include <unistd.h>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "e2e/e2e_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using gc::test::quote;
using gc::test::run;

struct Case {
  const char* file;
  const char* format;
  std::size_t stored, derived;
  std::int64_t samples;
};
const Case kCases[] = {
    {"dicom/ECGToolkit_Example.dcm", "DICOM", 12, 0, 5000},
    {"aecg/Example aECG.xml", "HL7 aECG", 12, 0, 5000},
    {"scp/Example.scp", "SCP-ECG", 12, 0, 5000},
    {"muse/BRAVEHEART_example1.xml", "GE MUSE XML", 8, 4, 5000},
    {"sierra/129DYPRG.XML", "Philips Sierra XML", 12, 0, 5500},
    {"sierra/3191723_ZZDEMOPTONLY_1-04_orig.xml", "Philips Sierra XML", 12, 0, 5500},
    {"other/ECGVisualizer_example1.xml", "GE CardioSoft XML", 12, 0, 5000},
};

bool have_files(const fs::path& dir) {
  if (fs::exists(dir / "MANIFEST.tsv")) return true;
  WARN("no ECG format files at " << dir.string() << " — skipped");
  return false;
}

}  // namespace

TEST_CASE("analyze --json reads every carts' file format and names its source") {
  const fs::path dir = GC_ECG_FORMATS_DIR;
  if (!have_files(dir)) return;
  for (const auto& c : kCases) {
    INFO(c.file);
    const auto r = run(quote(GC_CLI_PATH) + " analyze --json " + quote((dir / c.file).string()));
    REQUIRE(r.status == 0);
    const auto v = json::parse(r.out);
    const auto& o = v.as_object();
    for (const char* key :
         {"sample_rate_hz", "leads", "beats", "measurements", "finding", "quality"}) {
      CHECK(o.contains(key));
    }
    CHECK(o.at("leads").as_array().size() == c.stored + c.derived);
    const auto& s = o.at("source").as_object();
    CHECK(s.at("format").as_string() == c.format);
    CHECK(s.at("file").as_string() == (dir / c.file).string());
    CHECK(s.at("samples_per_lead").as_int64() == c.samples);
    CHECK(s.at("stored_leads").as_array().size() == c.stored);
    CHECK(s.at("derived_leads").as_array().size() == c.derived);
    for (const char* key : {"manufacturer", "model", "software", "acquired_at"})
      CHECK(s.contains(key));
  }
}

TEST_CASE("analyze refuses a file that is no ECG with one line naming it") {
  const fs::path bad =
      fs::temp_directory_path() / ("gc_not_an_ecg_" + std::to_string(::getpid()) + ".bin");
  {
    std::ofstream out(bad, std::ios::binary);
    out << "MZ not an ECG at all";
  }
  const auto r = run(quote(GC_CLI_PATH) + " analyze " + quote(bad.string()) + " 2>&1");
  fs::remove(bad);
  CHECK(r.status == 1);
  CHECK(r.out.find(bad.string()) != std::string::npos);
  CHECK(r.out.find("unsupported format") != std::string::npos);
  CHECK(r.out.find('\n') == r.out.size() - 1);  // one line
}

TEST_CASE("cart streams carts' files of every format to the server exactly") {
  const fs::path files = GC_ECG_FORMATS_DIR;
  if (!have_files(files)) return;
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("gc-e2e-formats-" + std::to_string(::getpid()) +
                                                    "-" + std::to_string(rd()));
  fs::create_directories(dir);
  const fs::path db = dir / "var" / "greenchannel.db";
  gc::test::ServeProcess serve(db);
  REQUIRE(serve.port() > 0);
  const auto added =
      run(quote(GC_CLI_PATH) + " device add --clinic formats --id cart-formats --db " +
          quote(db.string()) + " --json");
  REQUIRE(added.status == 0);
  const std::string secret(json::parse(added.out).as_object().at("secret").as_string());
  const std::string cart =
      quote(GC_CLI_PATH) + " cart --server 127.0.0.1:" + std::to_string(serve.port()) +
      " --device cart-formats --secret " + quote(secret) + " --json --quiet --insecure ";
  for (const auto& c : kCases) {
    INFO(c.file);
    const auto r = run(cart + quote((files / c.file).string()));
    REQUIRE(r.status == 0);
    const auto o = json::parse(r.out).as_object();
    CHECK(o.at("complete").as_bool());
    CHECK(o.at("samples_exact").as_bool());
    CHECK(o.at("samples_per_lead").as_int64() == c.samples);
    CHECK(o.at("finding").is_object());
  }
  const fs::path bad = dir / "broken.scp";
  {
    std::ifstream in(files / "scp/Example.scp", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x40);
    std::ofstream(bad, std::ios::binary) << bytes;
  }
  const auto broken = run(cart + quote(bad.string()) + " 2>&1");
  CHECK(broken.status != 0);
  CHECK(broken.out.find(bad.string()) != std::string::npos);
  CHECK(broken.out.find("CRC mismatch") != std::string::npos);
  CHECK(serve.alive());
  std::error_code ec;
  fs::remove_all(dir, ec);
}
