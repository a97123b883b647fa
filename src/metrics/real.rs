//! Number types for metric formulas evaluated two ways: plain `f64` (what sacreBLEU computes for a
//! corpus score) and [`Np`], which reproduces numpy 2's scalar promotion rules (NEP 50). sacreBLEU
//! evaluates its bootstrap resamples on `float32` statistics, where `100. * correct / total`
//! runs in single precision; p-values and confidence intervals depend on that rounding.

use std::ops::{Add, Div, Mul, Sub};

/// Arithmetic a metric formula needs. `lit` makes a Python literal (int or float), which numpy
/// treats as "weak": it takes the type of the array scalar it meets.
pub trait Real:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self>
{
    fn lit(x: f64) -> Self;
    /// The value as a Python float (what `math.log` or a comparison sees).
    fn value(self) -> f64;
}

impl Real for f64 {
    fn lit(x: f64) -> Self {
        x
    }
    fn value(self) -> f64 {
        self
    }
}

/// A numpy scalar: a Python float or a `numpy.float32`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Np {
    Py(f64),
    F32(f32),
}

impl Np {
    fn binary(self, other: Np, f64_op: fn(f64, f64) -> f64, f32_op: fn(f32, f32) -> f32) -> Np {
        match (self, other) {
            (Np::Py(a), Np::Py(b)) => Np::Py(f64_op(a, b)),
            (a, b) => Np::F32(f32_op(a.as_f32(), b.as_f32())),
        }
    }

    fn as_f32(self) -> f32 {
        match self {
            Np::Py(x) => x as f32,
            Np::F32(x) => x,
        }
    }

    pub fn is_f32(self) -> bool {
        matches!(self, Np::F32(_))
    }
}

impl Add for Np {
    type Output = Np;
    fn add(self, o: Np) -> Np {
        self.binary(o, |a, b| a + b, |a, b| a + b)
    }
}

impl Sub for Np {
    type Output = Np;
    fn sub(self, o: Np) -> Np {
        self.binary(o, |a, b| a - b, |a, b| a - b)
    }
}

impl Mul for Np {
    type Output = Np;
    fn mul(self, o: Np) -> Np {
        self.binary(o, |a, b| a * b, |a, b| a * b)
    }
}

impl Div for Np {
    type Output = Np;
    fn div(self, o: Np) -> Np {
        self.binary(o, |a, b| a / b, |a, b| a / b)
    }
}

impl Real for Np {
    fn lit(x: f64) -> Self {
        Np::Py(x)
    }
    fn value(self) -> f64 {
        match self {
            Np::Py(x) => x,
            Np::F32(x) => f64::from(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_python_scalars_take_the_array_type() {
        let third = Np::lit(100.0) * Np::F32(1.0) / Np::F32(3.0);
        assert_eq!(third, Np::F32(100.0f32 / 3.0));
        assert_eq!(Np::lit(1.0) / Np::lit(3.0), Np::Py(1.0 / 3.0));
    }
}
