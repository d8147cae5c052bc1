//! Random sub-streams and pseudonymous ids of the generator.
//!
//! Guarantees: every stream is a `ChaCha8Rng` derived only from the seed and a fixed list of
//! labels (what, year, region), so nothing depends on the order in which kommuner or years are
//! visited; ids come from a bijective 64-bit mix of (seed, domain, owner, serial), so distinct
//! inputs can never collide.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream or an id is for; part of every derivation so streams never overlap.
#[derive(Clone, Copy)]
pub(crate) enum Label {
    Profile = 1,
    Register = 2,
    Nil = 3,
    Survey = 4,
    Background = 5,
    Faults = 6,
    PersonId = 7,
    HouseholdId = 8,
}

/// The SplitMix64 finaliser: a bijection on `u64` with good avalanche.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream for `label` and the given parts (typically year and region number).
pub(crate) fn stream(seed: u64, label: Label, parts: &[u64]) -> ChaCha8Rng {
    let mut h = mix(seed ^ mix(label as u64));
    for p in parts {
        h = mix(h ^ mix(*p));
    }
    ChaCha8Rng::seed_from_u64(h)
}

/// A pseudonymous id, unique for distinct `(owner, serial)` under one seed and label:
/// `owner < 2^22`, `serial < 2^40`, and the key XOR and `mix` are both bijections.
pub(crate) fn pseudonym(seed: u64, label: Label, owner: u64, serial: u64) -> u64 {
    let key = mix(seed ^ mix(label as u64 + 0x100));
    mix(key ^ ((owner << 40) | (serial & ((1 << 40) - 1))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_differ_by_label_and_part_and_repeat_by_value() {
        let a: u64 = stream(1, Label::Register, &[2017, 180]).random();
        let b: u64 = stream(1, Label::Register, &[2017, 180]).random();
        let c: u64 = stream(1, Label::Register, &[2017, 181]).random();
        let d: u64 = stream(1, Label::Survey, &[2017, 180]).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
    }

    #[test]
    fn pseudonyms_are_distinct_for_distinct_inputs() {
        let mut seen = std::collections::HashSet::new();
        for owner in [180u64, 181, 2584] {
            for serial in 0..1000 {
                assert!(seen.insert(pseudonym(7, Label::PersonId, owner, serial)));
            }
        }
    }
}
