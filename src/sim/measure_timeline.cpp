#include "sim/measure_timeline.h"

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "fold/size_fifos.h"
#include "sim/cycle_simulator.h"

namespace bnnc {

std::optional<Timeline> measure_frame_timeline(const DataflowGraph& graph,
                                               std::span<const std::uint8_t> frame) {
  const std::vector<std::uint8_t> zeros(
      frame.empty() ? static_cast<std::size_t>(graph.ir.nodes[0].type.elements()) : 0, 0);
  SimulationOptions options;
  options.fifo_depths = size_fifos(graph);
  const SimulationResult sim = simulate_dataflow(
      graph, {frame.empty() ? std::span<const std::uint8_t>(zeros) : frame}, options);
  Timeline timeline;
  for (std::size_t i = 0; i < graph.blocks.size(); ++i) {
    timeline.blocks.push_back(
        {std::max<std::int64_t>(0, sim.first_busy_cycle[i]), sim.last_busy_cycle[i] + 1});
  }
  timeline.latency = sim.latency_cycles();
  return timeline;
}

}  // namespace bnnc
