// `greenchannel synth`: writes synthetic ECGs as WFDB records (format 16), one per call, or the
// committed sample set (sample_ecgs/) with --samples.
#include <boost/program_options.hpp>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "gc/synth.hpp"
#include "gc/wfdb.hpp"

namespace po = boost::program_options;

namespace gc::cli {
namespace {

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void write_synth_record(const std::filesystem::path& dir, const std::string& name,
                        const synth::Spec& spec, const std::vector<std::string>& extra_comments) {
  const synth::Synthesized ecg = synth::generate(spec);
  wfdb::Header h;
  h.record_name = name;
  h.sample_rate_hz = ecg.sample_rate_hz;
  h.age_years = spec.age_years;
  h.sex = spec.sex;
  for (const auto& lead : ecg.lead_names) {
    wfdb::SignalSpec sig;
    sig.adc_gain_per_mv = 1000.0 / ecg.resolution_uv_per_lsb;  // adu per mV
    sig.baseline_adu = 0;
    sig.units = "mV";
    sig.adc_resolution_bits = 16;
    sig.description = lead;
    h.signals.push_back(sig);
  }
  h.comments.push_back(synth::describe(spec));
  for (const auto& c : extra_comments) h.comments.push_back(c);
  wfdb::write_record(dir, name, h, ecg.samples_adu);
  std::cout << "wrote " << (dir / (name + ".hea")).string() << " (" << ecg.lead_names.size()
            << " leads, " << (ecg.samples_adu.empty() ? 0 : ecg.samples_adu[0].size())
            << " samples at " << format_number(ecg.sample_rate_hz) << " Hz, "
            << ecg.r_samples.size() << " beats)\n";
}

void usage(std::ostream& out, const po::options_description& opts) {
  out << "usage: greenchannel synth --out DIR --name NAME [options]\n"
         "       greenchannel synth --samples DIR\n\n"
         "Writes a synthetic 12- or 18-lead ECG as a WFDB record (format 16, gain 1000 adu/mV\n"
         "at the default 1 uV/LSB) with '<age>'/'<sex>' and a '# synth: ...' header comment.\n"
         "--samples DIR writes the committed sample set (normal_sinus, stemi_anterior,\n"
         "stemi_inferior_rv, stemi_posterior, lbbb_confounder, noisy_lead_off).\n\n"
      << opts << "\nTerritories: ";
  const auto t = synth::territory_names();
  for (std::size_t i = 0; i < t.size(); ++i) out << (i ? ", " : "") << t[i];
  out << "\nLimb-lead ST values are applied exactly as given; give consistent values\n"
         "(III = II - I, aVR = -(I+II)/2, aVL = I - II/2, aVF = II - I/2) for a physiological\n"
         "record; the --territory patterns are consistent. --st overrides the territory\n"
         "pattern per lead.\n"
         "Example: greenchannel synth --out /tmp/ecg --name ant --territory extensive_anterior "
         "--territory-uv 300 --st V2=350\n";
}

}  // namespace

int cmd_synth(int argc, char** argv) {
  po::options_description opts("options");
  // clang-format off
  opts.add_options()
      ("help,h", "show this help")
      ("out", po::value<std::string>(), "output folder")
      ("name", po::value<std::string>(), "record name (files NAME.hea, NAME.dat)")
      ("samples", po::value<std::string>(), "write the sample set into this folder")
      ("rate-bpm", po::value<double>()->default_value(72), "heart rate (bpm)")
      ("st", po::value<std::vector<std::string>>()->composing(), "ST shift at J, LEAD=UV (repeatable)")
      ("territory", po::value<std::vector<std::string>>()->composing(), "ST pattern of an occluded territory (repeatable)")
      ("territory-uv", po::value<double>()->default_value(250), "peak ST elevation of --territory (uV)")
      ("eighteen-lead", po::bool_switch(), "add V7-V9 and V3R-V5R")
      ("lbbb", po::bool_switch(), "LBBB-like beats (wide QRS, discordant ST-T)")
      ("paced", po::bool_switch(), "ventricular pacing (spikes + wide QRS)")
      ("noise-uv", po::value<double>()->default_value(10), "broadband noise rms (uV)")
      ("mains-uv", po::value<double>()->default_value(0), "mains interference amplitude (uV)")
      ("mains-hz", po::value<double>()->default_value(50), "mains frequency (Hz)")
      ("wander-uv", po::value<double>()->default_value(0), "0.3 Hz baseline wander amplitude (uV)")
      ("lead-off", po::value<std::vector<std::string>>()->composing(), "a lead whose electrode is off (repeatable)")
      ("age", po::value<int>()->default_value(60), "patient age (years)")
      ("sex", po::value<std::string>()->default_value("M"), "patient sex, M or F")
      ("seed", po::value<std::uint64_t>()->default_value(1), "random seed (same seed, same record)")
      ("duration-s", po::value<double>()->default_value(10), "duration (s)")
      ("fs", po::value<double>()->default_value(500), "sample rate (Hz)")
      ("resolution-uv", po::value<double>()->default_value(1), "ADC resolution (uV per LSB)");
  // clang-format on
  po::variables_map vm;
  try {
    // argv[0] is "synth"; like a program name, the parser skips it.
    po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "greenchannel synth: " << e.what() << "\n\n";
    usage(std::cerr, opts);
    return 2;
  }
  if (vm.count("help")) {
    usage(std::cout, opts);
    return 0;
  }
  if (vm.count("samples")) {
    const std::filesystem::path dir = vm["samples"].as<std::string>();
    for (const auto& c : synth::sample_set()) write_synth_record(dir, c.name, c.spec, {c.expected});
    return 0;
  }
  if (!vm.count("out") || !vm.count("name")) {
    std::cerr << "greenchannel synth: --out and --name are required (or --samples DIR)\n\n";
    usage(std::cerr, opts);
    return 2;
  }

  synth::Spec spec;
  spec.heart_rate_bpm = vm["rate-bpm"].as<double>();
  spec.eighteen_lead = vm["eighteen-lead"].as<bool>();
  spec.lbbb = vm["lbbb"].as<bool>();
  spec.paced = vm["paced"].as<bool>();
  spec.noise_rms_uv = vm["noise-uv"].as<double>();
  spec.mains_uv = vm["mains-uv"].as<double>();
  spec.mains_hz = vm["mains-hz"].as<double>();
  spec.baseline_wander_uv = vm["wander-uv"].as<double>();
  spec.age_years = vm["age"].as<int>();
  spec.seed = vm["seed"].as<std::uint64_t>();
  spec.duration_s = vm["duration-s"].as<double>();
  spec.sample_rate_hz = vm["fs"].as<double>();
  spec.resolution_uv_per_lsb = vm["resolution-uv"].as<double>();
  const std::string sex = vm["sex"].as<std::string>();
  if (sex != "M" && sex != "F") {
    std::cerr << "greenchannel synth: --sex must be M or F\n";
    return 2;
  }
  spec.sex = sex[0];
  if (spec.age_years < 0 || spec.age_years > 130) {
    std::cerr << "greenchannel synth: --age must be within 0..130\n";
    return 2;
  }
  if (vm.count("territory")) {
    for (const auto& t : vm["territory"].as<std::vector<std::string>>()) {
      for (const auto& [lead, uv] : synth::territory_st_uv(t, vm["territory-uv"].as<double>())) {
        spec.st_shift_uv[lead] += uv;
      }
    }
  }
  if (vm.count("st")) {
    for (const auto& item : vm["st"].as<std::vector<std::string>>()) {
      const auto eq = item.find('=');
      if (eq == std::string::npos || eq == 0) {
        std::cerr << "greenchannel synth: --st expects LEAD=UV, got '" << item << "'\n";
        return 2;
      }
      try {
        std::size_t used = 0;
        const double uv = std::stod(item.substr(eq + 1), &used);
        if (used != item.size() - eq - 1) throw std::invalid_argument("trailing text");
        spec.st_shift_uv[item.substr(0, eq)] = uv;
      } catch (const std::exception&) {
        std::cerr << "greenchannel synth: --st value is not a number in '" << item << "'\n";
        return 2;
      }
    }
  }
  if (vm.count("lead-off")) spec.leads_off = vm["lead-off"].as<std::vector<std::string>>();
  write_synth_record(vm["out"].as<std::string>(), vm["name"].as<std::string>(), spec, {});
  return 0;
}

}  // namespace gc::cli
