package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The checkpoint file policy of a training run: files named by their step
// in a directory, written atomically, the newest few kept, stale temporary
// files removed, and the newest one found for a resume.

// CheckpointName is the file name of the checkpoint at a step in a
// checkpoint directory: names sort by step.
func CheckpointName(step uint64) string { return fmt.Sprintf("ckpt-%020d.safetensors", step) }

// CheckpointFiles lists the checkpoint files of dir (named as CheckpointName
// makes them), oldest first.
func CheckpointFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if len(n) == len(CheckpointName(0)) && strings.HasPrefix(n, "ckpt-") && strings.HasSuffix(n, ".safetensors") && e.Type().IsRegular() {
			if _, err := strconv.ParseUint(n[5:25], 10, 64); err == nil {
				out = append(out, filepath.Join(dir, n))
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// SaveCheckpointDir writes the trainer's checkpoint into dir as
// CheckpointName(step), atomically, then deletes all but the newest keep
// checkpoints (keep < 1 counts as 2) and stale temporary files a killed
// writer left behind. It returns the new file's path. At every moment dir
// holds complete checkpoints only, the newest the old one or the new one.
func SaveCheckpointDir(dir string, t *Trainer, meta map[string]string, keep int) (string, error) {
	if keep < 1 {
		keep = 2
	}
	path := filepath.Join(dir, CheckpointName(t.step))
	if err := t.SaveCheckpoint(path, meta); err != nil {
		return "", err
	}
	files, err := CheckpointFiles(dir)
	if err != nil {
		return path, err
	}
	for len(files) > keep {
		if files[0] != path {
			if err := os.Remove(files[0]); err != nil && !errors.Is(err, os.ErrNotExist) {
				return path, err
			}
		}
		files = files[1:]
	}
	RemoveStaleCheckpointTemps(dir)
	return path, nil
}

// RemoveStaleCheckpointTemps deletes the temporary files that an
// interrupted checkpoint write leaves in dir (".ckpt-*.safetensors.tmp-*").
func RemoveStaleCheckpointTemps(dir string) {
	tmps, _ := filepath.Glob(filepath.Join(dir, ".ckpt-*.safetensors.tmp-*"))
	for _, p := range tmps {
		os.Remove(p)
	}
}

// LoadCheckpoint reads the checkpoint at path: a checkpoint file, or a
// directory, from which it takes the newest checkpoint that loads (listing
// the newer ones that did not in Skipped). It returns the file read.
func LoadCheckpoint(path string) (*Checkpoint, string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, "", err
	}
	if !st.IsDir() {
		c, err := ReadCheckpointFile(path)
		return c, path, err
	}
	files, err := CheckpointFiles(path)
	if err != nil {
		return nil, "", err
	}
	var skipped []error
	for i := len(files) - 1; i >= 0; i-- {
		c, err := ReadCheckpointFile(files[i])
		if err != nil {
			skipped = append(skipped, err)
			continue
		}
		c.Skipped = skipped
		return c, files[i], nil
	}
	if len(skipped) > 0 {
		msgs := make([]string, len(skipped))
		for i, e := range skipped {
			msgs[i] = oneLine(e)
		}
		return nil, "", fmt.Errorf("%s: %w that loads: %s", path, ErrNoCheckpoint, strings.Join(msgs, "; "))
	}
	return nil, "", fmt.Errorf("%s: %w (no ckpt-*.safetensors files)", path, ErrNoCheckpoint)
}
