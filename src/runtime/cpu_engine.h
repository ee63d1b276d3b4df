// bnnc's CPU engine: the front door of src/runtime.
//
//   CpuEngine engine(graph);                    // compile the plan once (cpu_plan.h)
//   engine.classify(images, n, results, threads);   // batch-parallel: frames split over threads
//   engine.classify_team(image, 1, results, team);  // intra-layer: each layer's rows split
//
// Every result equals the golden model's (sim/golden_model.h) bit for bit; the kernels come from
// the instruction-set variant picked at run time (kernels.h, BNNC_ISA to force one).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/classification.h"
#include "ir/graph.h"
#include "runtime/cpu_plan.h"
#include "runtime/kernels.h"
#include "runtime/team.h"

namespace bnnc::runtime {

// The buffers of one thread's frames (a tile of up to `tile` frames).
struct Workspace {
  std::vector<std::uint8_t*> buffers;  // one per plan buffer, 64-byte aligned
  std::uint8_t* padded = nullptr;      // a conv's padded input image (bits or bytes)
  // For classify_team on one frame: member t ≥ 1 sees members[t - 1], the same buffers except
  // its own copies of what the steps before the first shared layer write (it runs them too).
  std::vector<Workspace> members;
  std::vector<std::uint8_t> storage;
  // For classify_team's members sharing a padded conv by its output rows (CpuEngine::Share::
  // Rows): member t ≥ 1 pads the input rows its windows read into a padded image of its own,
  // row_padded + (t − 1)·row_padded_stride, so that no member waits for another's padding.
  std::uint8_t* row_padded = nullptr;
  std::size_t row_padded_stride = 0;
  std::vector<std::uint8_t> row_padded_storage;
  // The call's images, when the steps read them in place (else copied into the input buffer).
  // Written by every call, so in a cache line of its own: a team member reading the fields
  // above then finds them in its own cache, not on the caller's core.
  alignas(64) const std::uint8_t* input = nullptr;
};

// Early termination in the binary layers with a fused threshold (docs/similarity.md, "CPU
// engine"): Off, On (every such layer, where the variant has the kernel), or Auto (the layers
// where it was measured faster: none so far, see the docs).
enum class EarlyExit { Off, On, Auto };

// Input reuse in the binary convolutions (docs/similarity.md, "CPU engine"): Off, Input (every
// binary conv with more than one output column runs the variant's word-skipping kernel, where it
// has one), Window (those convs copy the windows equal to their left neighbour and compute the
// rest with the plain kernel), or Auto (the layers where one of them was measured faster,
// input_reuse_pays in cpu_engine.cpp).
enum class CpuReuse { Off, Input, Window, Auto };

struct CpuEngineOptions {
  EarlyExit early_exit = EarlyExit::Off;
  // With On: only the layer of this name, when not empty (to time one layer's effect).
  std::string early_exit_layer;
  CpuReuse reuse = CpuReuse::Off;
  // With Input or Window: only the layer of this name, when not empty.
  std::string reuse_layer;
  // A network with convs runs its dense layers at the end on tiles of frames when they have more
  // weight bytes than this (cpu_engine.cpp, plan_dense_tail; tests set 0 to force it).
  std::size_t dense_tail_weight_bytes = std::size_t{1} << 20;
  // Residual adds (with their thresholds) run inside the conv before them where the variant can
  // (cpu_step.h FusedAdd); false keeps them steps of their own (to time the difference).
  bool fuse_adds = true;
  // A layer on one input row with a fused threshold (LFC's hidden layers at batch 1) reads only
  // the weights of its rarer input value where the variant can (PreparedWeights::InputMajor);
  // false keeps the one-row kernel over all of them (to time the difference).
  bool input_major = true;
};

// Where a layer's kernel runs: the vector units, or the tile unit (AMX, kernels.h).
enum class ComputeUnit { Vector, Tiles };

class CpuEngine {
 public:
  explicit CpuEngine(const Graph& graph);
  CpuEngine(const Graph& graph, Isa isa, CpuEngineOptions options = {});
  // The binary layers that run with early termination.
  int early_exit_layers() const;
  // The binary convolutions that run with input reuse (either kind).
  int input_reuse_layers() const;

  Isa isa() const { return kernels_->isa; }
  const CpuPlan& plan() const { return plan_; }
  int tile() const { return tile_; }
  // The first step of the dense tail that runs on whole tiles behind frame-by-frame convs, or 0
  // when every step runs on the whole tile.
  std::size_t dense_tail_begin() const { return tail_begin_; }
  std::int64_t macs_per_frame() const { return plan_.macs_per_frame; }

  // Classifies n images (input_size() bytes each, one after another) on `threads` threads, each
  // taking tiles of frames; results[i] gets image i's label and scores.
  void classify(const std::uint8_t* images, int n, Classification* results, int threads) const;
  // The same on a team kept by the caller, with its workspaces (made as needed, one per member):
  // no threads start per call, so short calls in a loop keep their cores (a freshly started
  // thread may wait milliseconds for the scheduler to move it to an idle core).
  void classify(const std::uint8_t* images, int n, Classification* results, Team& team,
                std::vector<Workspace>& workspaces) const;
  // Classifies n ≤ tile() images with every thread of the team on each layer.
  void classify_team(const std::uint8_t* images, int n, Classification* results, Team& team,
                     Workspace& workspace) const;
  // The same on one thread, timing each step (seconds added into step_seconds[s]).
  void classify_timed(const std::uint8_t* images, int n, Classification* results,
                      Workspace& workspace, std::vector<double>& step_seconds) const;

  // Where step `step` runs on one thread given `frames` frames per call (up to tile()): on the
  // tile unit when its kernel calls have tile_min_rows rows or more (a dense layer's rows are the
  // frames, a conv's its output pixels) and enough panels.
  ComputeUnit unit_of(std::size_t step, int frames) const;

  std::size_t input_size() const { return plan_.input_size; }
  Workspace make_workspace() const;

 private:
  // Runs one step on frames [first, first + n) of the workspace.
  // head: a step before tail_begin_ on frame `first` alone (plan_dense_tail).
  // by_rows: member `thread` of `threads` makes its share of a conv's or a max-pool's output
  // image rows on one frame (Share::Rows), not its share of the layer's panels.
  void run_step(const Step& step, int first, int n, Workspace& ws, Classification* results,
                int thread, int threads, Team* team, int lead = 0, bool head = false,
                bool by_rows = false) const;
  // Every step on n ≤ tile() frames on this thread: the head frame by frame, then the tail on
  // all n; with step_seconds, each step's time added into it.
  void run_tile(int n, Workspace& ws, Classification* results,
                std::vector<double>* step_seconds) const;
  // A network with convs and large dense layers at the end: the steps from tail_begin_ on run on
  // tiles of kDenseTailTile frames, the ones before frame by frame (cpu_engine.cpp).
  void plan_dense_tail(std::size_t min_weight_bytes);
  // Frames that buffer `buffer` holds in a workspace.
  int frames_of(int buffer) const;
  // Gives the steps the call's images: in place (ws.input) or copied into the input buffer.
  void load_inputs(const std::uint8_t* images, int n, Workspace& ws) const;
  // Gives ws one view per member t ≥ 1 with its own copies of what steps [0, first) write.
  void prepare_members(Workspace& ws, std::size_t first, int members) const;
  // Gives ws (and its members' views) a padded image for each member t ≥ 1 (row_padded).
  void prepare_row_padded(Workspace& ws, int members) const;
  // The buffer whose bytes `buffer` is (itself unless a reshape's alias); −1 stays −1.
  int root_buffer(int buffer) const;

  // How classify_team's members share a step: a layer's rows (panels), the output image's rows
  // (a conv or a max-pool on one frame: each member writes a contiguous block of pixels and reads
  // all of the layer's weights), the tile's frames (steps that read and write frame by frame in
  // place, when there is a frame for every member), or member 0 alone.
  enum class Share { Alone, Panels, Rows, Frames };
  Share share_of(const Step& step, int members, int n) const;
  // Whether `step`, shared as `now`, may start without a barrier after `before`, shared as
  // `then`: every member reads only what it wrote itself or what was there before the job.
  bool follows_without_barrier(const Step& before, Share then, const Step& step, Share now,
                               int members) const;
  // Everything classify_team's shared steps [first, last) need, by value: small enough that
  // Team::run carries the job in its start line, so a helper reads nothing from the caller's
  // stack (team.h).
  struct SharedSteps {
    Workspace* ws;
    Classification* results;
    Team* team;
    const std::uint8_t* input;  // the call's images in place, or null (ws->input)
    std::uint32_t n : 20;
    std::uint32_t members : 11;
    std::uint32_t replicate : 1;  // every member runs steps [0, first) into its own buffers
    std::uint16_t first, last;
  };
  void run_shared(const SharedSteps& job, int thread) const;

  CpuPlan plan_;
  const KernelTable* kernels_;
  int tile_ = 1;
  std::size_t tail_begin_ = 0;    // 0: every step runs on the whole tile
  std::vector<bool> tiled_;       // per root buffer, with tail_begin_ > 0: holds tile_ frames
  std::size_t weight_bytes_ = 0;  // as the kernels read them
  std::size_t padded_bytes_ = 0;
  bool input_in_place_ = false;
};

}  // namespace bnnc::runtime
