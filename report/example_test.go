package report_test

import (
	"fmt"
	"strings"

	"github.com/xent-dev/xent/report"
)

// A study's --json document, whatever its fields, laid out as the page's
// tables: the scalars as fields and values, each array of objects as a
// table of its own.
func ExampleJSONTables() {
	doc := `{"source": {"data": "opticks"}, "seeds": 2,
		"runs": [{"epsilon": 0, "ece": 0.1421, "ppl": 8.2143}, {"epsilon": 0.1, "ece": 0.0413, "ppl": 8.1801}]}`
	tables, err := report.JSONTables([]byte(doc), "smoothing", "source")
	if err != nil {
		panic(err)
	}
	for _, t := range tables {
		fmt.Printf("%s: %s\n", t.Title, strings.Join(t.Columns, " | "))
		for _, row := range t.Rows {
			var texts []string
			for _, c := range row {
				texts = append(texts, c.Text)
			}
			fmt.Println("  " + strings.Join(texts, " | "))
		}
	}
	// Output:
	// smoothing: field | value
	//   seeds | 2
	// smoothing › runs: epsilon | ece | ppl
	//   0 | 0.1421 | 8.2143
	//   0.1 | 0.0413 | 8.1801
}
