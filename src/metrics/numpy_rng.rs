//! numpy's default random generator, bit for bit: `SeedSequence` seeding, the PCG64 (XSL-RR)
//! bit generator, Lemire's bounded integers (`Generator.integers` / `choice` with replacement)
//! and buffered booleans (`integers(2, dtype=bool)`). sacreBLEU's significance tests draw from
//! `numpy.random.default_rng(seed)`; using the same stream reproduces its p-values.

const MULT: u128 = (0x2360_ED05_1FC6_5DA4 << 64) | 0x4385_DF64_9FCC_F645;

/// `numpy.random.default_rng(seed)` for a non-negative integer seed.
pub struct NumpyRng {
    state: u128,
    inc: u128,
    /// The upper half of a 64-bit draw, kept for the next 32-bit request (numpy's `has_uint32`).
    pending_u32: Option<u32>,
}

fn seed_sequence_state(seed: u64) -> [u64; 4] {
    const INIT_A: u32 = 0x43b0_d7e5;
    const MULT_A: u32 = 0x931e_8875;
    const INIT_B: u32 = 0x8b51_f9dd;
    const MULT_B: u32 = 0x58f3_8ded;
    const MIX_MULT_L: u32 = 0xca01_f9dd;
    const MIX_MULT_R: u32 = 0x4973_f715;
    let entropy: Vec<u32> = if seed >> 32 == 0 {
        vec![seed as u32]
    } else {
        vec![seed as u32, (seed >> 32) as u32]
    };
    let mut hash_const = INIT_A;
    let mut hashmix = |value: u32| {
        let mut v = value ^ hash_const;
        hash_const = hash_const.wrapping_mul(MULT_A);
        v = v.wrapping_mul(hash_const);
        v ^ (v >> 16)
    };
    let mix = |x: u32, y: u32| {
        let r = MIX_MULT_L
            .wrapping_mul(x)
            .wrapping_sub(MIX_MULT_R.wrapping_mul(y));
        r ^ (r >> 16)
    };
    let mut pool = [0u32; 4];
    for (i, slot) in pool.iter_mut().enumerate() {
        *slot = hashmix(entropy.get(i).copied().unwrap_or(0));
    }
    for src in 0..4 {
        for dst in 0..4 {
            if src != dst {
                let h = hashmix(pool[src]);
                pool[dst] = mix(pool[dst], h);
            }
        }
    }
    for &word in entropy.iter().skip(4) {
        for slot in pool.iter_mut() {
            let h = hashmix(word);
            *slot = mix(*slot, h);
        }
    }
    let mut hash_b = INIT_B;
    let mut words = [0u32; 8];
    for (i, w) in words.iter_mut().enumerate() {
        let mut v = pool[i % 4] ^ hash_b;
        hash_b = hash_b.wrapping_mul(MULT_B);
        v = v.wrapping_mul(hash_b);
        *w = v ^ (v >> 16);
    }
    std::array::from_fn(|i| u64::from(words[2 * i]) | (u64::from(words[2 * i + 1]) << 32))
}

impl NumpyRng {
    pub fn new(seed: u64) -> Self {
        let s = seed_sequence_state(seed);
        let initstate = (u128::from(s[0]) << 64) | u128::from(s[1]);
        let initseq = (u128::from(s[2]) << 64) | u128::from(s[3]);
        let mut rng = NumpyRng {
            state: 0,
            inc: (initseq << 1) | 1,
            pending_u32: None,
        };
        rng.step();
        rng.state = rng.state.wrapping_add(initstate);
        rng.step();
        rng
    }

    fn step(&mut self) {
        self.state = self.state.wrapping_mul(MULT).wrapping_add(self.inc);
    }

    pub fn next_u64(&mut self) -> u64 {
        self.step();
        let xored = ((self.state >> 64) as u64) ^ (self.state as u64);
        xored.rotate_right((self.state >> 122) as u32)
    }

    pub fn next_u32(&mut self) -> u32 {
        if let Some(v) = self.pending_u32.take() {
            return v;
        }
        let next = self.next_u64();
        self.pending_u32 = Some((next >> 32) as u32);
        next as u32
    }

    /// One draw of `integers(0, n)` for 1 < n ≤ 2^32 (Lemire's method, as numpy).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!((1..=1 << 32).contains(&n));
        if n == 1 {
            return 0;
        }
        let rng = (n - 1) as u32;
        if rng == u32::MAX {
            return u64::from(self.next_u32());
        }
        let rng_excl = rng + 1;
        let mut m = u64::from(self.next_u32()) * u64::from(rng_excl);
        let mut leftover = m as u32;
        if leftover < rng_excl {
            let threshold = (u32::MAX - rng) % rng_excl;
            while leftover < threshold {
                m = u64::from(self.next_u32()) * u64::from(rng_excl);
                leftover = m as u32;
            }
        }
        m >> 32
    }

    /// A stream of `integers(2, size=..., dtype=bool)` values: numpy buffers 32 bits per call.
    pub fn bools(&mut self) -> BoolStream<'_> {
        BoolStream {
            rng: self,
            buf: 0,
            left: 0,
        }
    }
}

/// Booleans of one `integers(2, dtype=bool)` call.
pub struct BoolStream<'a> {
    rng: &'a mut NumpyRng,
    buf: u32,
    left: u32,
}

impl BoolStream<'_> {
    pub fn next_bool(&mut self) -> bool {
        if self.left == 0 {
            self.buf = self.rng.next_u32();
            self.left = 31;
        } else {
            self.buf >>= 1;
            self.left -= 1;
        }
        self.buf & 1 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values printed by numpy 2.4.6 for the calls named in each test.

    #[test]
    fn raw_stream() {
        // default_rng(12345).bit_generator.random_raw(2)
        let mut rng = NumpyRng::new(12345);
        assert_eq!(
            [rng.next_u64(), rng.next_u64()],
            [4193609425186963869, 5843160025838961886]
        );
    }

    #[test]
    fn choice_with_replacement() {
        // default_rng(12345).choice(3004, size=5)
        let mut rng = NumpyRng::new(12345);
        let draws: Vec<u64> = (0..5).map(|_| rng.below(3004)).collect();
        assert_eq!(draws, [2100, 682, 2369, 951, 613]);
        // default_rng(2**40 + 5).choice(1000, size=4): a seed of two 32-bit words
        let mut rng = NumpyRng::new((1 << 40) + 5);
        let draws: Vec<u64> = (0..4).map(|_| rng.below(1000)).collect();
        assert_eq!(draws, [14, 4, 449, 372]);
    }

    #[test]
    fn booleans_then_choice_share_the_buffered_half() {
        // r = default_rng(12345); r.integers(2, size=40, dtype=bool); r.choice(7, size=6)
        let mut rng = NumpyRng::new(12345);
        let mut bools = rng.bools();
        let got: Vec<u8> = (0..40).map(|_| u8::from(bools.next_bool())).collect();
        let want = [
            1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1,
            1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1,
        ];
        assert_eq!(got, want);
        let draws: Vec<u64> = (0..6).map(|_| rng.below(7)).collect();
        assert_eq!(draws, [5, 2, 1, 5, 4, 4]);
    }
}
