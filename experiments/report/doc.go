// Command report turns the outputs of experiments/run.sh into a Markdown
// results table and learning-curve plots:
//
//	go run ./experiments/report -dir docs/experiments
//
// It reads DIR/times.tsv and DIR/runs/<name>/{metrics.jsonl, eval.json,
// logz.json, exact.json} and writes DIR/results.md, DIR/cdk.png,
// DIR/hidden.png and DIR/runs/<name>/curves.png. Run names are
// h<hidden>-k<k>.
package main
