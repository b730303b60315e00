//! Colours as officers write them: `#rgb`, `#rrggbb` or `#rrggbbaa`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// An sRGB colour with straight (not premultiplied) alpha.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Color {
    pub r: u8,
    pub g: u8,
    pub b: u8,
    pub a: u8,
}

impl Color {
    pub const BLACK: Color = Color::rgb(0, 0, 0);
    pub const WHITE: Color = Color::rgb(255, 255, 255);
    pub const TRANSPARENT: Color = Color { r: 0, g: 0, b: 0, a: 0 };

    pub const fn rgb(r: u8, g: u8, b: u8) -> Self {
        Color { r, g, b, a: 255 }
    }

    pub const fn rgba(r: u8, g: u8, b: u8, a: u8) -> Self {
        Color { r, g, b, a }
    }

    /// Components as floats in 0..=1, alpha not premultiplied.
    pub fn to_f32(self) -> [f32; 4] {
        [
            f32::from(self.r) / 255.0,
            f32::from(self.g) / 255.0,
            f32::from(self.b) / 255.0,
            f32::from(self.a) / 255.0,
        ]
    }

    pub fn is_opaque(self) -> bool {
        self.a == 255
    }
}

impl fmt::Debug for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.a == 255 {
            write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
        } else {
            write!(f, "#{:02x}{:02x}{:02x}{:02x}", self.r, self.g, self.b, self.a)
        }
    }
}

/// Why a colour string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("màu không hợp lệ {0:?}: cần dạng \"#rrggbb\", \"#rgb\" hoặc \"#rrggbbaa\" (invalid colour)")]
pub struct ColorError(pub String);

impl FromStr for Color {
    type Err = ColorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || ColorError(s.to_string());
        let hex = s.trim().strip_prefix('#').ok_or_else(bad)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let nib = |i: usize| u8::from_str_radix(&hex[i..=i], 16).map_err(|_| bad());
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad());
        match hex.len() {
            3 => Ok(Color::rgb(nib(0)? * 17, nib(1)? * 17, nib(2)? * 17)),
            6 => Ok(Color::rgb(byte(0)?, byte(2)?, byte(4)?)),
            8 => Ok(Color::rgba(byte(0)?, byte(2)?, byte(4)?, byte(6)?)),
            _ => Err(bad()),
        }
    }
}

impl Serialize for Color {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Color {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!("#0b3d91".parse::<Color>().unwrap(), Color::rgb(11, 61, 145));
        assert_eq!("#fff".parse::<Color>().unwrap(), Color::WHITE);
        assert_eq!(
            "#b71c1c80".parse::<Color>().unwrap(),
            Color::rgba(0xb7, 0x1c, 0x1c, 0x80)
        );
    }

    #[test]
    fn refuses_names_and_bad_lengths() {
        for bad in ["red", "#12345", "0b3d91", "#ggg", "#12345678a", "#ñññ"] {
            assert!(bad.parse::<Color>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in ["#0b3d91", "#b71c1c80"] {
            assert_eq!(s.parse::<Color>().unwrap().to_string(), s);
        }
    }
}
