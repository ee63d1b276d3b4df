#include "rtl/synthesize.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "rtl/run_command.h"

namespace bnnc {

namespace {

using CellCounts = std::vector<std::pair<std::string, std::int64_t>>;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// LUTs a Xilinx memory primitive occupies (a SLICEM LUT is 64×1 or 32×2 bits).
std::int64_t lutram_luts(const std::string& type) {
  static const std::map<std::string, std::int64_t> kLuts = {
      {"RAM32M", 4},   {"RAM64M", 4},   {"RAM32X1D", 2},  {"RAM64X1D", 2},  {"RAM128X1D", 4},
      {"RAM32X1S", 1}, {"RAM64X1S", 1}, {"RAM128X1S", 2}, {"RAM256X1S", 4}, {"SRL16E", 1},
      {"SRLC32E", 1},  {"RAM32M16", 8}, {"RAM64M8", 8}};
  const auto it = kLuts.find(type);
  return it == kLuts.end() ? 0 : it->second;
}

// Adds the primitive cells of one type to r.
void count_cell(const std::string& type, std::int64_t n, SynthResources& r) {
  if ((type.size() == 4 && type.starts_with("LUT") && type[3] >= '1' && type[3] <= '6') ||
      type == "LUT6_2") {
    r.luts += n;
  } else if (type == "SB_LUT4") {
    r.luts += n;
  } else if (const std::int64_t luts = lutram_luts(type); luts > 0) {
    r.luts += n * luts;
    r.lutram += n * luts;
  } else if (type == "FDRE" || type == "FDSE" || type == "FDCE" || type == "FDPE" ||
             type.starts_with("SB_DFF")) {
    r.ffs += n;
  } else if (type == "CARRY4" || type == "SB_CARRY") {
    r.carry += n;
  } else if (type == "RAMB18E1") {
    r.bram18 += n;
  } else if (type == "RAMB36E1") {
    r.bram36 += n;
  } else if (type.starts_with("SB_RAM40_4K")) {
    r.ram4k += n;
  } else if (type == "DSP48E1" || type == "SB_MAC16") {
    r.dsps += n;
  }
}

// Resources of a module with everything it instantiates.
SynthResources module_resources(const std::string& module,
                                const std::map<std::string, CellCounts>& modules, int depth = 0) {
  SynthResources r;
  const auto it = modules.find(module);
  if (it == modules.end() || depth > 32) return r;
  for (const auto& [type, n] : it->second) {
    if (modules.count(type) != 0) {
      const SynthResources sub = module_resources(type, modules, depth + 1);
      for (std::int64_t i = 0; i < n; ++i) r += sub;
    } else {
      count_cell(type, n, r);
    }
  }
  return r;
}

// The module's name without Yosys's parameter hash: "$paramod$ab12\bnn_mvtu" → "bnn_mvtu".
std::string base_module(const std::string& name) {
  const auto slash = name.rfind('\\');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

void run_tool(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
              const std::filesystem::path& log, const std::string& what) {
  const int status = run_command(argv, cwd, log);
  if (status != 0) {
    fail("{} failed (exit {}; log {}): {}", what, status, log.string(), tail_of_file(log, 3));
  }
}

}  // namespace

SynthResources& SynthResources::operator+=(const SynthResources& other) {
  luts += other.luts;
  lutram += other.lutram;
  ffs += other.ffs;
  carry += other.carry;
  bram18 += other.bram18;
  bram36 += other.bram36;
  ram4k += other.ram4k;
  dsps += other.dsps;
  return *this;
}

std::vector<std::pair<std::string, CellCounts>> parse_yosys_stat(const std::string& text) {
  std::vector<std::pair<std::string, CellCounts>> modules;
  std::istringstream in(text);
  std::string line;
  bool in_cells = false;
  while (std::getline(in, line)) {
    if (line.starts_with("=== ") && line.ends_with(" ===")) {
      const std::string name = line.substr(4, line.size() - 8);
      in_cells = false;
      if (name == "design hierarchy") break;  // totals follow; we sum ourselves
      modules.emplace_back(name, CellCounts{});
      continue;
    }
    if (modules.empty()) continue;
    if (line.find("Number of cells:") != std::string::npos) {
      in_cells = true;
      continue;
    }
    if (!in_cells) continue;
    std::istringstream fields(line);
    std::string type;
    std::int64_t n = 0;
    if (fields >> type >> n) {
      modules.back().second.emplace_back(type, n);
    } else if (!line.empty()) {
      in_cells = false;
    }
  }
  return modules;
}

std::vector<std::pair<std::string, std::string>> parse_top_instances(const std::string& verilog) {
  // "  \$paramod$5449eb...\bnn_mvtu  u_fc0 (": an escaped module name, then the instance.
  std::vector<std::pair<std::string, std::string>> instances;
  std::istringstream in(verilog);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string module, instance, paren;
    if (!(fields >> module >> instance >> paren) || paren != "(") continue;
    if (module.starts_with("\\")) module = module.substr(1);
    if (module == "module") continue;
    instances.emplace_back(instance, module);
  }
  return instances;
}

SynthResult synthesize(const std::filesystem::path& rtl_dir, const RtlDesign& design,
                       const std::filesystem::path& out_dir, const SynthOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  require_program("yosys", "yosys");
  const bool ice40 = options.target == SynthTarget::Ice40;
  if (ice40) {
    require_program("nextpnr-ice40", "nextpnr-ice40");
    require_program("icepack", "fpga-icestorm");
  }
  std::error_code error;
  std::filesystem::create_directories(out_dir, error);
  if (error) fail("{}: cannot create ({})", out_dir.string(), error.message());
  const std::filesystem::path out = std::filesystem::absolute(out_dir);
  SynthResult result;
  result.target = options.target;
  result.folder = out;

  // Yosys reads the $readmemh files relative to where it runs: the RTL folder.
  // Without the instance names (emit_rtl.cpp says why).
  // For xc7, bnn_popcount's counters on LUT6_2 and CARRY4 (rtl/bnn_popcount.sv).
  std::string script = ice40 ? "read_verilog -sv -DBNN_NO_INSTANCE_NAMES"
                             : "read_verilog -sv -DBNN_NO_INSTANCE_NAMES -DBNN_XILINX_PRIMITIVES";
  for (const std::string& file : design.sources) {
    if (file.ends_with(".sv")) script += " " + file;
  }
  script += "\n";
  script += ice40 ? fmt::format("synth_ice40 -noflatten -top {} -json {}\n", design.top,
                                (out / "design.json").string())
                  : fmt::format("synth_xilinx -family xc7 -top {}\n", design.top);
  script += fmt::format("tee -q -o {} stat\nselect {}\nwrite_verilog -selected -noattr {}\n",
                        (out / "stat.txt").string(), design.top, (out / "top.v").string());
  { std::ofstream(out / "synth.ys") << script; }
  const std::filesystem::path yosys_log = out / "yosys.log";
  std::filesystem::remove(yosys_log, error);
  run_tool({"yosys", "-q", "-l", yosys_log.string(), "-s", (out / "synth.ys").string()}, rtl_dir,
           out / "yosys.out", "yosys");

  const auto modules_list = parse_yosys_stat(read_text(out / "stat.txt"));
  const std::map<std::string, CellCounts> modules(modules_list.begin(), modules_list.end());
  if (modules.count(design.top) == 0) {
    fail("{}: no statistics of module {} (see {})", (out / "stat.txt").string(), design.top,
         yosys_log.string());
  }
  result.total = module_resources(design.top, modules);
  std::map<std::string, int> block_of;
  for (const RtlInstance& inst : design.instances) block_of[inst.instance] = inst.block;
  for (const auto& [instance, module] : parse_top_instances(read_text(out / "top.v"))) {
    if (modules.count(module) == 0) continue;  // a primitive (IBUF, BUFG, ...)
    SynthInstance si;
    si.instance = instance;
    si.module = base_module(module);
    const auto it = block_of.find(instance);
    si.block = it == block_of.end() ? -1 : it->second;
    si.resources = module_resources(module, modules);
    result.instances.push_back(std::move(si));
  }

  if (ice40) {
    const std::filesystem::path pnr_log = out / "nextpnr.log";
    std::filesystem::remove(pnr_log, error);
    std::filesystem::remove(out / "report.json", error);
    // A design that misses the frequency target still routes (--timing-allow-fail): its Fmax
    // is what we report. One that does not fit fails to place.
    const int status = run_command(
        {"nextpnr-ice40", "--hx8k", "--package", "ct256", "--json", (out / "design.json").string(),
         "--asc", (out / "design.asc").string(), "--report", (out / "report.json").string(),
         "--freq", fmt::format("{}", options.freq_mhz), "--timing-allow-fail",
         "--pcf-allow-unconstrained", "--seed", "1"},
        out, pnr_log);
    const std::string log_text = read_text(pnr_log);
    if (status != 0) {
      const bool too_big = log_text.find("Unable to place") != std::string::npos ||
                           log_text.find("Design utilisation") != std::string::npos ||
                           log_text.find("no BELs remaining") != std::string::npos ||
                           log_text.find("failed to place") != std::string::npos;
      if (!too_big) {
        fail("nextpnr-ice40 failed (exit {}; log {}): {}", status, pnr_log.string(),
             tail_of_file(pnr_log, 3));
      }
      result.fits = false;
    } else {
      result.fits = true;
      try {
        const nlohmann::json report = nlohmann::json::parse(read_text(out / "report.json"));
        for (const auto& [clock, value] : report.at("fmax").items()) {
          const double achieved = value.at("achieved").get<double>();
          if (!result.fmax_mhz || achieved < *result.fmax_mhz) result.fmax_mhz = achieved;
        }
        const auto& lc = report.at("utilization").at("ICESTORM_LC");
        result.lcs = lc.at("used").get<std::int64_t>();
        result.lcs_available = lc.at("available").get<std::int64_t>();
      } catch (const nlohmann::json::exception& e) {
        fail("{}: unexpected nextpnr report ({})", (out / "report.json").string(), e.what());
      }
      run_tool({"icepack", (out / "design.asc").string(), (out / "design.bin").string()}, out,
               out / "icepack.log", "icepack");
      result.bitstream = out / "design.bin";
    }
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace bnnc
