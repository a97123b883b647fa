//! `--explore`: every setting of a grid on every evaluation set (the dev set with each MT and
//! without, the synthetic sets), to see which settings hold across sets of different shapes:
//! the best setting of each group of sets, and what it scores on the others.

use entente::align::eval::score_vecalign;
use entente::align::AlignConfig;

use crate::synthetic::Set;

/// F1 of every setting (rows) on every set (columns), on two threads.
fn matrix(grid: &[AlignConfig], sets: &[Set]) -> Vec<Vec<f64>> {
    let half = grid.len() / 2;
    let run = |part: &[AlignConfig]| -> Vec<Vec<f64>> {
        part.iter()
            .map(|c| {
                sets.iter()
                    .map(|s| score_vecalign(&s.align(c), &s.gold).strict.2)
                    .collect()
            })
            .collect()
    };
    std::thread::scope(|scope| {
        let first = scope.spawn(|| run(&grid[..half]));
        let second = run(&grid[half..]);
        first.join().unwrap().into_iter().chain(second).collect()
    })
}

pub fn explore(grid: &[AlignConfig], sets: &[Set], groups: &[(&str, Vec<usize>)]) {
    let start = std::time::Instant::now();
    let f1 = matrix(grid, sets);
    eprintln!(
        "{} settings × {} sets in {:.0} s",
        grid.len(),
        sets.len(),
        start.elapsed().as_secs_f64()
    );
    let mean =
        |row: &[f64], cols: &[usize]| cols.iter().map(|&c| row[c]).sum::<f64>() / cols.len() as f64;
    println!(
        "| chosen on | setting | {} |",
        groups.iter().map(|g| g.0).collect::<Vec<_>>().join(" | ")
    );
    println!("|---|---|{}", "---:|".repeat(groups.len()));
    let mut choices: Vec<(String, Vec<usize>)> = groups
        .iter()
        .map(|(n, c)| (n.to_string(), c.clone()))
        .collect();
    choices.push(("all groups (mean of group means)".into(), Vec::new()));
    // Pairs of groups (the dev set's and the synthetic sets', with MT and without): the mean of
    // the two groups' means.
    for (a, b) in [(0, 2), (1, 3)] {
        let name = format!("{} + {}", groups[a].0, groups[b].0);
        choices.push((name, vec![usize::MAX, a, b]));
    }
    for (name, cols) in &choices {
        let score = |row: &[f64]| {
            if cols.is_empty() {
                groups.iter().map(|g| mean(row, &g.1)).sum::<f64>() / groups.len() as f64
            } else if cols[0] == usize::MAX {
                (mean(row, &groups[cols[1]].1) + mean(row, &groups[cols[2]].1)) / 2.0
            } else {
                mean(row, cols)
            }
        };
        let best = (0..grid.len())
            .max_by(|&a, &b| score(&f1[a]).total_cmp(&score(&f1[b])).then(b.cmp(&a)))
            .unwrap();
        let c = &grid[best];
        println!(
            "| {name} | len {} skip {} merge {} cov {} clause {} initial {} | {} |",
            c.length_weight,
            c.skip_score,
            c.merge_penalty,
            c.coverage_weight,
            c.clause_join_bonus,
            c.initial_join_bonus,
            groups
                .iter()
                .map(|g| format!("{:.3}", mean(&f1[best], &g.1)))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    for (i, s) in sets.iter().enumerate() {
        let best = f1.iter().map(|r| r[i]).fold(0.0, f64::max);
        println!("- {}: best {best:.3}", s.name);
    }
}
