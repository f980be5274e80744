//! The printing side of the harness: medians, and the table of several
//! runtimes (columns) rotated over rounds.

use crate::workers;

/// The median of `values` (sorted in place; NaN sorts last).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// A table of workloads whose samples are several numbers each (a row per
/// number): `sample(column index, workload)` gives them and `labels(workload)`
/// names them. Columns (runtime, tokio, smol, then any others) rotated each
/// round; medians and the ratios of runtime to tokio and smol.
pub struct Table<'a> {
    pub kind: &'a str,
    pub heading: &'a str,
    pub columns: &'a [&'a str],
    pub labels: fn(&str) -> &'static [&'static str],
    pub sample: &'a dyn Fn(usize, &str) -> Vec<f64>,
}

impl Table<'_> {
    pub fn run(&self, rounds: usize, names: &[&str], only: Option<&[String]>) {
        let n = self.columns.len();
        // samples[workload][column][round] = the workload's numbers
        let mut samples = vec![vec![Vec::<Vec<f64>>::new(); n]; names.len()];
        for round in 0..rounds {
            for (w, name) in names.iter().enumerate() {
                for k in 0..n {
                    let which = (k + round) % n;
                    if only.is_some_and(|o| !o.iter().any(|o| o == self.columns[which])) {
                        continue;
                    }
                    samples[w][which].push((self.sample)(which, name));
                }
            }
            eprintln!("{} round {}/{rounds} done", self.kind, round + 1);
        }
        println!();
        println!("{rounds} rounds, {} workers each; {}", workers(), self.heading);
        print!("{:<30}", "workload");
        self.columns.iter().for_each(|c| print!(" {c:>10}"));
        let ratio = |i: usize| format!("{}/{}", self.columns[0], self.columns[i]);
        println!(" {:>13} {:>12}", ratio(1), ratio(2));
        for (w, name) in names.iter().enumerate() {
            for (row, label) in (self.labels)(name).iter().enumerate() {
                let medians: Vec<f64> = (0..n)
                    .map(|i| {
                        let mut values: Vec<f64> = samples[w][i].iter().map(|sample| sample[row]).collect();
                        if values.is_empty() {
                            f64::NAN
                        } else {
                            median(&mut values)
                        }
                    })
                    .collect();
                print!("{:<30}", format!("{name} {label}"));
                medians.iter().for_each(|m| print!(" {m:>10.2}"));
                println!(" {:>13.2} {:>12.2}", medians[0] / medians[1], medians[0] / medians[2]);
            }
        }
    }
}
