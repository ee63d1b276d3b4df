// How bnnc writes a folder of outputs (a design folder) without touching what it did not write.
//
//  - Everything is written into a staging folder beside the target (".NAME.bnnc-tmp-PID"), then
//    moved into place: a failed or interrupted write leaves the target as it was, and the next
//    run removes the staging folders of processes that no longer exist.
//  - The target's manifest (kOutputManifest) lists every file bnnc wrote there, with its hash.
//    Those files are replaced or, when the new output no longer has them, removed; any other
//    file where bnnc would write is "in the way": bnnc::Error naming it, unless `force`. Files
//    that are in nobody's way (a user's notes beside the design) are never touched.
//  - bnnc does not write through a symbolic link inside the target (a link "rtl" pointing
//    elsewhere is refused, never followed); the target itself may be a link the user made.
//  - check_output_folder (simulate, verify, synth) refuses a folder whose listed files were
//    changed or removed since: their figures would no longer be the design's.
#pragma once

#include <filesystem>
#include <string>

namespace bnnc {

inline constexpr const char* kOutputManifest = "bnnc-manifest.json";

class OutputFolder {
 public:
  // Prepares to write `target`: checks that it is a folder or absent, clears leftovers of
  // interrupted runs beside it and makes a new staging folder. Throws bnnc::Error.
  OutputFolder(const std::filesystem::path& target, bool force);
  ~OutputFolder();  // removes the staging folder unless commit() has moved it into place
  OutputFolder(const OutputFolder&) = delete;
  OutputFolder& operator=(const OutputFolder&) = delete;

  // Where to write the output, as if it were the target.
  const std::filesystem::path& staging() const { return staging_; }
  // Moves every file of the staging folder into the target as described above and writes the
  // target's manifest. Nothing is moved when a file is in the way or a link is met.
  void commit();

 private:
  std::filesystem::path target_;  // absolute
  std::filesystem::path shown_;   // as the user wrote it, for messages
  std::filesystem::path staging_;
  bool force_ = false;
  bool committed_ = false;
};

// Throws bnnc::Error naming the first file of DIR's manifest that is missing or whose bytes
// differ from what bnnc wrote, and when DIR has no manifest.
void check_output_folder(const std::filesystem::path& dir);

}  // namespace bnnc
