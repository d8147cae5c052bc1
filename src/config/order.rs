//! Topological order of the models from their references (pure; no I/O).
//!
//! Guarantees: a model comes after every model it reads; ties are broken by name so the order is
//! deterministic; every reference cycle is reported (as its members in cycle order), not only the
//! first one found.

use std::collections::{BTreeMap, BTreeSet};

/// Orders `deps` (model → models it reads) so that each model follows its dependencies. On failure
/// returns every cycle, each as the list of its members starting from the smallest name.
pub(crate) fn topological(
    deps: &BTreeMap<String, BTreeSet<String>>,
) -> Result<Vec<String>, Vec<Vec<String>>> {
    let mut waiting: BTreeMap<&str, usize> = deps
        .iter()
        .map(|(m, d)| {
            (
                m.as_str(),
                d.iter().filter(|x| deps.contains_key(*x)).count(),
            )
        })
        .collect();
    let mut readers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (m, d) in deps {
        for x in d.iter().filter(|x| deps.contains_key(*x)) {
            readers.entry(x.as_str()).or_default().push(m.as_str());
        }
    }
    let mut ready: BTreeSet<&str> = waiting
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(m, _)| *m)
        .collect();
    let mut order = Vec::with_capacity(deps.len());
    while let Some(m) = ready.pop_first() {
        order.push(m.to_string());
        waiting.remove(m);
        for r in readers.get(m).map(Vec::as_slice).unwrap_or_default() {
            if let Some(n) = waiting.get_mut(r) {
                *n -= 1;
                if *n == 0 {
                    ready.insert(r);
                }
            }
        }
    }
    if waiting.is_empty() {
        return Ok(order);
    }
    let blocked: BTreeSet<&str> = waiting.keys().copied().collect();
    Err(cycles(deps, &blocked))
}

/// The cycles among the `blocked` models: strongly connected components (Tarjan) with more than one
/// member or a self-reference, each listed by name.
fn cycles(deps: &BTreeMap<String, BTreeSet<String>>, blocked: &BTreeSet<&str>) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        deps: &'a BTreeMap<String, BTreeSet<String>>,
        blocked: &'a BTreeSet<&'a str>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            self.on_stack.insert(v);
            let next: Vec<&'a str> = self
                .deps
                .get(v)
                .into_iter()
                .flatten()
                .map(String::as_str)
                .filter(|w| self.blocked.contains(w))
                .collect();
            for w in next {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    if let Some(l) = self.low.get_mut(v) {
                        *l = (*l).min(lw);
                    }
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    if let Some(l) = self.low.get_mut(v) {
                        *l = (*l).min(iw);
                    }
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                let self_loop = self.deps.get(v).is_some_and(|d| d.contains(v));
                if component.len() > 1 || self_loop {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        deps,
        blocked,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for &v in blocked {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.found.sort();
    t.found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> BTreeMap<String, BTreeSet<String>> {
        edges
            .iter()
            .map(|(m, d)| (m.to_string(), d.iter().map(|x| x.to_string()).collect()))
            .collect()
    }

    #[test]
    fn dependencies_come_first_and_ties_by_name() {
        let g = graph(&[
            ("ind_a", &["int_b", "stg_c", "register"]),
            ("int_b", &["stg_c"]),
            ("stg_c", &["register"]),
            ("ind_z", &["stg_c"]),
        ]);
        // stg_c reads only a source, so it runs first; then int_b and ind_z are both ready and
        // run by name ("ind_z" < "int_b"); ind_a needs int_b, so it runs last.
        assert_eq!(
            topological(&g).unwrap(),
            vec!["stg_c", "ind_z", "int_b", "ind_a"]
        );
    }

    #[test]
    fn reports_every_cycle() {
        let g = graph(&[
            ("a", &["b"]),
            ("b", &["a"]),
            ("c", &["c"]),
            ("d", &["a"]),
            ("e", &[]),
        ]);
        let cycles = topological(&g).unwrap_err();
        assert_eq!(
            cycles,
            vec![
                vec!["a".to_string(), "b".to_string()],
                vec!["c".to_string()]
            ]
        );
    }

    #[test]
    fn cycle_behind_another_cycle_is_found() {
        // a reads b (a self-loop) and c; c reads a: two cycles {b} and {a, c}.
        let g = graph(&[("a", &["b", "c"]), ("b", &["b"]), ("c", &["a"])]);
        assert_eq!(
            topological(&g).unwrap_err(),
            vec![
                vec!["a".to_string(), "c".to_string()],
                vec!["b".to_string()]
            ]
        );
    }
}
