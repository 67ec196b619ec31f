// `greenchannel convert IN OUT`: any ECG the readers take (WFDB, DICOM, HL7 aECG, SCP-ECG, GE
// MUSE, Philips Sierra, GE CardioSoft) out as WFDB, HL7 aECG, DICOM or the printable PDF, chosen
// by OUT's extension. The work is gc::exporter::convert (export/).
#include <boost/program_options.hpp>
#include <iostream>

#include "commands.hpp"
#include "gc/export.hpp"

namespace gc::cli {
namespace po = boost::program_options;

int cmd_convert(int argc, char** argv) {
  po::options_description opts(
      "usage: greenchannel convert IN OUT [options]\n\n"
      "Writes IN (a WFDB record or an ECG file of any format `analyze` reads) as OUT; the format\n"
      "comes from OUT's extension: .hea WFDB (format 16), .xml HL7 aECG, .dcm DICOM 12-lead ECG\n"
      "(general ECG when the leads do not fit), .pdf the printable ECG (A4, 25 mm/s, 10 mm/mV)\n"
      "with the automatic read and, when given, the cardiologist's confirmed read.\n\noptions");
  std::string confirmed_text, confirmed_by, confirmed_at;
  opts.add_options()("help,h", "show this help")("confirmed-read", po::value(&confirmed_text),
                                                 "the cardiologist's read (PDF only)")(
      "confirmed-by", po::value(&confirmed_by), "who confirmed it")(
      "confirmed-at", po::value(&confirmed_at), "when, ISO 8601 (2026-12-03T08:15+08:00)")(
      "files", po::value<std::vector<std::string>>(), "IN OUT");
  po::positional_options_description pos;
  pos.add("files", -1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  const auto files =
      vm.count("files") ? vm["files"].as<std::vector<std::string>>() : std::vector<std::string>{};
  if (files.size() != 2) {
    std::cerr << "greenchannel convert: expected IN and OUT, got " << files.size()
              << " file argument(s) (see --help)\n";
    return 1;
  }
  exporter::ConvertOptions options;
  const bool any_confirmed =
      vm.count("confirmed-read") || vm.count("confirmed-by") || vm.count("confirmed-at");
  if (any_confirmed) {
    if (!vm.count("confirmed-read") || !vm.count("confirmed-by") || !vm.count("confirmed-at")) {
      std::cerr << "greenchannel convert: --confirmed-read, --confirmed-by and --confirmed-at go "
                   "together\n";
      return 1;
    }
    if (exporter::output_format_for(files[1]) != exporter::OutputFormat::pdf) {
      std::cerr << "greenchannel convert: a confirmed read is printed on the PDF only (OUT "
                << files[1] << ")\n";
      return 1;
    }
    options.confirmed = exporter::ConfirmedRead{confirmed_text, confirmed_by, confirmed_at};
  }
  try {
    exporter::convert(files[0], files[1], options);
  } catch (const std::exception& e) {
    std::cerr << "greenchannel convert: " << e.what() << "\n";
    return 1;
  }
  std::cout << files[1] << "\n";
  return 0;
}

}  // namespace gc::cli
