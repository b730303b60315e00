//! Vietnamese text normalisation for text-to-speech with espeak-ng (voice `vi`).
//!
//! espeak-ng reads digits, abbreviations and symbols poorly in Vietnamese, so this module rewrites
//! them as the words a person would say: numbers, dates, times, ranges, units and common
//! administrative abbreviations. Everything is scanned by hand; only `std` is used.

/// Vietnamese names of the digits 0–9.
const DIGITS: [&str; 10] = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"];

/// Scale words for groups of three digits, from the right.
const SCALES: [&str; 4] = ["", "nghìn", "triệu", "tỷ"];

/// Punctuation that espeak-ng turns into a pause and that is therefore kept.
const PAUSES: &[char] = &['.', ',', ';', ':', '!', '?'];

/// Dash characters that may separate the two ends of a range.
const DASHES: &[char] = &['-', '–', '—', '−'];

/// Case-sensitive whole-word abbreviations; longer forms come before their prefixes.
#[rustfmt::skip]
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("UBND", "Ủy ban nhân dân"), ("HĐND", "Hội đồng nhân dân"), ("TP.", "thành phố"), ("TP", "thành phố"),
    ("TX.", "thị xã"), ("TX", "thị xã"), ("HCM", "Hồ Chí Minh"), ("PCTT", "phòng chống thiên tai"),
    ("TKCN", "tìm kiếm cứu nạn"), ("BCH", "Ban chỉ huy"), ("CSGT", "cảnh sát giao thông"),
    ("THPT", "trung học phổ thông"), ("THCS", "trung học cơ sở"), ("BHYT", "bảo hiểm y tế"),
    ("BHXH", "bảo hiểm xã hội"), ("SĐT", "số điện thoại"), ("ĐT", "điện thoại"),
    ("Covid-19", "Cô vít mười chín"), ("COVID-19", "Cô vít mười chín"), ("v.v.", "vân vân"),
    ("v.v", "vân vân"),
];

/// Units recognised right after a number; longer forms come before their prefixes.
#[rustfmt::skip]
const UNITS: &[(&str, &str)] = &[
    ("km/h", "ki lô mét một giờ"), ("m³", "mét khối"), ("m3", "mét khối"), ("m²", "mét vuông"),
    ("m2", "mét vuông"), ("mm", "mi li mét"), ("cm", "xen ti mét"), ("km", "ki lô mét"), ("kg", "ki lô gam"),
    ("ha", "héc ta"), ("m", "mét"), ("°C", "độ xê"), ("℃", "độ xê"), ("°", "độ"), ("%", "phần trăm"),
];

/// Rewrites text so that espeak-ng's Vietnamese voice reads it as a person would.
pub fn normalise(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines().map(normalise_line).filter(|l| !l.is_empty()) {
        if !out.is_empty() {
            if !out.ends_with(PAUSES) {
                out.push('.');
            }
            out.push(' ');
        }
        out.push_str(&line);
    }
    out
}

/// Normalises a single line (no newline inside).
fn normalise_line(line: &str) -> String {
    let mut scanner = Scanner {
        chars: line.chars().collect(),
        pos: 0,
        out: String::new(),
        after_number: false,
    };
    while scanner.pos < scanner.chars.len() {
        scanner.step();
    }
    scanner.out
}

/// Reads a string of ASCII digits as a Vietnamese number; long runs and phone numbers digit by digit.
fn read_integer(digits: &str) -> String {
    if digits.len() > 12 || (digits.starts_with('0') && digits.len() >= 8) {
        return read_digits(digits);
    }
    let value: u64 = digits.parse().unwrap_or(0);
    if value == 0 {
        return DIGITS[0].to_string();
    }
    let groups: Vec<u64> = (0..4).map(|k| value / 1000u64.pow(k) % 1000).collect();
    let top = groups.iter().rposition(|&g| g > 0).unwrap_or(0);
    let mut words = Vec::new();
    for k in (0..=top).rev().filter(|&k| groups[k] > 0) {
        words.push(read_triple(groups[k], k != top));
        if k > 0 {
            words.push(SCALES[k].to_string());
        }
    }
    words.join(" ")
}

/// Reads a group of three digits; `full` forces the hundreds ("không trăm") for inner groups.
fn read_triple(n: u64, full: bool) -> String {
    let (h, t, u) = ((n / 100 % 10) as usize, (n / 10 % 10) as usize, (n % 10) as usize);
    let mut words: Vec<&str> = Vec::new();
    if full || h > 0 {
        words.extend([DIGITS[h], "trăm"]);
    }
    match t {
        0 if u > 0 && !words.is_empty() => words.push("linh"),
        0 => {}
        1 => words.push("mười"),
        _ => words.extend([DIGITS[t], "mươi"]),
    }
    match u {
        0 => {}
        1 if t >= 2 => words.push("mốt"),
        4 if t >= 2 => words.push("tư"),
        5 if t >= 1 => words.push("lăm"),
        _ => words.push(DIGITS[u]),
    }
    words.join(" ")
}

/// Reads every digit on its own ("0912" → "không chín một hai").
fn read_digits(digits: &str) -> String {
    let words: Vec<&str> = digits
        .chars()
        .filter_map(|c| c.to_digit(10))
        .map(|d| DIGITS[d as usize])
        .collect();
    words.join(" ")
}

/// Reads the digits after a decimal comma: leading zeros one by one, then the rest as a number.
fn read_fraction(digits: &str) -> String {
    let rest = digits.trim_start_matches('0');
    let mut words = vec![DIGITS[0]; digits.len() - rest.len()];
    let number = read_integer(rest);
    if !rest.is_empty() {
        words.push(&number);
    }
    words.join(" ")
}

/// Reads a month number; April is "tư".
fn month_name(month: &str) -> String {
    if month.trim_start_matches('0') == "4" {
        "tư".to_string()
    } else {
        read_integer(month)
    }
}

/// Reads slash-separated digit groups as a date ("ngày … tháng … năm …") when they form one.
fn date_words(parts: &[String]) -> Option<String> {
    let value = |s: &str| s.parse::<u32>().ok().filter(|_| s.len() <= 2).unwrap_or(0);
    let day = |s: &str| (1..=31).contains(&value(s));
    let month = |s: &str| (1..=12).contains(&value(s));
    let year = |s: &str| s.len() == 4;
    match parts {
        [d, m] if day(d) && month(m) => Some(format!("ngày {} tháng {}", read_integer(d), month_name(m))),
        [m, y] if month(m) && year(y) => Some(format!("tháng {} năm {}", month_name(m), read_integer(y))),
        [d, m, y] if day(d) && month(m) && year(y) => Some(format!(
            "ngày {} tháng {} năm {}",
            read_integer(d),
            month_name(m),
            read_integer(y)
        )),
        _ => None,
    }
}

/// True for characters that belong to words (letters, non-ASCII digits, combining marks).
fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() && !c.is_ascii_digit()) || ('\u{300}'..='\u{36f}').contains(&c)
}

/// Hand-written scanner that turns one line into speakable text.
struct Scanner {
    chars: Vec<char>,
    pos: usize,
    out: String,
    /// Whether the last thing spoken was a number (a following dash then means "đến").
    after_number: bool,
}

impl Scanner {
    /// Consumes one token at the current position.
    fn step(&mut self) {
        let c = self.chars[self.pos];
        if c.is_whitespace() {
            self.pos += 1;
        } else if self.try_abbreviation() {
            self.after_number = false;
        } else if c.is_ascii_digit() {
            self.number();
            self.after_number = true;
        } else if is_word_char(c) {
            let start = self.pos;
            while self.pos < self.chars.len() && is_word_char(self.chars[self.pos]) {
                self.pos += 1;
            }
            let word = self.slice(start, self.pos);
            self.push(&word);
            self.after_number = false;
        } else {
            self.pos += 1;
            self.symbol(c);
        }
    }

    /// Handles punctuation and symbols: pauses are kept, dashes and slashes around numbers are read.
    fn symbol(&mut self, c: char) {
        let next_is_digit = self.next_non_space().is_some_and(|n| n.is_ascii_digit());
        let (prev_alnum, next_alnum) = (self.is_alnum_at(self.pos.wrapping_sub(2)), self.is_alnum_at(self.pos));
        let dash = DASHES.contains(&c);
        match c {
            _ if PAUSES.contains(&c) => self.pause(c),
            '…' => self.pause('.'),
            _ if dash && self.after_number && next_is_digit => self.push("đến"),
            _ if dash && !prev_alnum && self.is_digit_at(self.pos) => self.push("âm"),
            _ if dash && prev_alnum && next_alnum => {}
            _ if dash => self.pause(','),
            '/' if self.after_number && next_is_digit => self.push("trên"),
            '%' => self.push("phần trăm"),
            '&' => self.push("và"),
            _ => return,
        }
        self.after_number = false;
    }

    /// Expands a whole-word abbreviation starting at the current position, if any.
    fn try_abbreviation(&mut self) -> bool {
        if self.is_alnum_at(self.pos.wrapping_sub(1)) {
            return false;
        }
        for (abbr, expansion) in ABBREVIATIONS {
            let end = self.pos + abbr.chars().count();
            if self.matches_at(self.pos, abbr) && (abbr.ends_with('.') || !self.is_alnum_at(end)) {
                self.push(expansion);
                self.pos = end;
                return true;
            }
        }
        false
    }

    /// Reads a number starting at the current position: time, date, phone, decimal or plain integer.
    fn number(&mut self) {
        let end = self.digit_run(self.pos);
        let mut digits = self.slice(self.pos, end);
        self.pos = end;
        if self.try_time(&digits) || self.try_slashes(&digits) || self.try_phone(&digits) {
            return;
        }
        let grouped = digits.len() <= 3;
        while grouped && self.group_follows() {
            digits.push_str(&self.slice(self.pos + 1, self.pos + 4));
            self.pos += 4;
        }
        self.push(&read_integer(&digits));
        if self.peek(0) == Some(',') && self.is_digit_at(self.pos + 1) {
            let end = self.digit_run(self.pos + 1);
            let fraction = read_fraction(&self.slice(self.pos + 1, end));
            self.push("phẩy");
            self.push(&fraction);
            self.pos = end;
        } else if self.peek(0) == Some('.') && self.is_digit_at(self.pos + 1) {
            self.push("chấm");
            self.pos += 1;
        }
        self.unit();
    }

    /// True when a thousands group (".ddd" not followed by another digit) starts here.
    fn group_follows(&self) -> bool {
        self.peek(0) == Some('.') && self.digit_run(self.pos + 1) == self.pos + 4
    }

    /// Reads "7h30", "22h", "07:30" as a time of day; `hour` is the digit run already consumed.
    fn try_time(&mut self, hour: &str) -> bool {
        if hour.len() > 2 {
            return false;
        }
        let h: u32 = hour.parse().unwrap_or(0);
        let minutes = |s: &Self| match s.digit_run(s.pos + 1) - (s.pos + 1) {
            2 => s.slice(s.pos + 1, s.pos + 3).parse::<u32>().ok().filter(|&m| m < 60),
            _ => None,
        };
        let (m, end) = match self.peek(0) {
            Some('h') => match minutes(self) {
                Some(m) => (m, self.pos + 3),
                None if !self.is_alnum_at(self.pos + 1) => (0, self.pos + 1),
                None => return false,
            },
            Some(':') if h <= 24 => match minutes(self) {
                Some(m) => (m, self.pos + 3),
                None => return false,
            },
            _ => return false,
        };
        if self.is_alnum_at(end) {
            return false;
        }
        self.pos = end;
        self.push(&read_integer(hour));
        self.push("giờ");
        if m > 0 {
            self.push(&read_integer(&m.to_string()));
            self.push("phút");
        }
        true
    }

    /// Reads a phone number written in groups ("0912 345 678", "024.3825.1234") digit by digit.
    fn try_phone(&mut self, first: &str) -> bool {
        if !first.starts_with('0') || !(3..=4).contains(&first.len()) {
            return false;
        }
        let (mut digits, mut p) = (first.to_string(), self.pos);
        while digits.len() < 10 && matches!(self.chars.get(p), Some('.' | ' ' | '-')) {
            let len = self.digit_run(p + 1) - p - 1;
            if !(2..=4).contains(&len) || digits.len() + len > 11 {
                break;
            }
            digits.push_str(&self.slice(p + 1, p + 1 + len));
            p += 1 + len;
        }
        if digits.len() < 8 {
            return false;
        }
        self.pos = p;
        self.push(&read_digits(&digits));
        true
    }

    /// Reads "15/3/2026", "17/9", "3/2026" as dates and other "a/b" digit groups with "trên".
    fn try_slashes(&mut self, first: &str) -> bool {
        let mut parts = vec![first.to_string()];
        while self.peek(0) == Some('/') && self.is_digit_at(self.pos + 1) {
            let end = self.digit_run(self.pos + 1);
            parts.push(self.slice(self.pos + 1, end));
            self.pos = end;
        }
        if parts.len() == 1 {
            return false;
        }
        let words = match date_words(&parts) {
            Some(date) => date,
            None => parts.iter().map(|p| read_integer(p)).collect::<Vec<_>>().join(" trên "),
        };
        let words = ["ngày ", "tháng "]
            .iter()
            .find_map(|w| words.strip_prefix(w).filter(|_| self.last_word_is(w.trim_end())))
            .unwrap_or(&words)
            .to_string();
        self.push(&words);
        true
    }

    /// Reads a unit written right after a number (optionally after spaces).
    fn unit(&mut self) {
        let mut p = self.pos;
        while self.chars.get(p).is_some_and(|c| c.is_whitespace()) {
            p += 1;
        }
        for (symbol, words) in UNITS {
            let end = p + symbol.chars().count();
            if self.matches_at(p, symbol) && !self.is_alnum_at(end) {
                self.push(words);
                self.pos = end;
                return;
            }
        }
    }

    /// Appends words, separated from the previous output by one space.
    fn push(&mut self, words: &str) {
        if !self.out.is_empty() {
            self.out.push(' ');
        }
        self.out.push_str(words);
    }

    /// Appends a pause mark unless the output is empty or already ends with one.
    fn pause(&mut self, c: char) {
        if !self.out.is_empty() && !self.out.ends_with(PAUSES) {
            self.out.push(c);
        }
    }

    /// True when the last word written (case-insensitively) is `word`.
    fn last_word_is(&self, word: &str) -> bool {
        self.out.rsplit(' ').next().is_some_and(|w| w.to_lowercase() == word)
    }

    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn next_non_space(&self) -> Option<char> {
        self.chars[self.pos.min(self.chars.len())..]
            .iter()
            .copied()
            .find(|c| !c.is_whitespace())
    }

    fn is_digit_at(&self, i: usize) -> bool {
        self.chars.get(i).is_some_and(|c| c.is_ascii_digit())
    }

    fn is_alnum_at(&self, i: usize) -> bool {
        self.chars
            .get(i)
            .is_some_and(|&c| c.is_ascii_digit() || is_word_char(c))
    }

    /// End (exclusive) of the ASCII digit run starting at `start`.
    fn digit_run(&self, start: usize) -> usize {
        let mut end = start;
        while self.is_digit_at(end) {
            end += 1;
        }
        end
    }

    fn matches_at(&self, start: usize, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| self.chars.get(start + k) == Some(&c))
    }

    fn slice(&self, start: usize, end: usize) -> String {
        self.chars[start..end].iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks a table of `input => expected` cases separated by newlines or " | " (both sides trimmed).
    fn check(table: &str) {
        for case in table
            .lines()
            .flat_map(|l| l.split(" | "))
            .filter(|c| !c.trim().is_empty())
        {
            let (input, expected) = case.split_once("=>").expect("missing =>");
            assert_eq!(normalise(input.trim()), expected.trim(), "input: {input:?}");
        }
    }

    #[test]
    fn tens_and_special_unit_words() {
        check(
            "0 => không | 1 => một | 10 => mười | 11 => mười một | 14 => mười bốn | 15 => mười lăm
            20 => hai mươi | 21 => hai mươi mốt | 24 => hai mươi tư | 25 => hai mươi lăm
            99 => chín mươi chín",
        );
    }

    #[test]
    fn hundreds_and_linh() {
        check(
            "100 => một trăm | 101 => một trăm linh một | 104 => một trăm linh bốn
            105 => một trăm linh năm | 110 => một trăm mười | 115 => một trăm mười lăm
            121 => một trăm hai mươi mốt | 999 => chín trăm chín mươi chín",
        );
    }

    #[test]
    fn thousands_millions_billions() {
        check(
            "1000 => một nghìn | 1050 => một nghìn không trăm năm mươi
            2005 => hai nghìn không trăm linh năm | 2026 => hai nghìn không trăm hai mươi sáu
            10000 => mười nghìn | 1000000 => một triệu | 1000005 => một triệu không trăm linh năm
            1010010 => một triệu không trăm mười nghìn không trăm mười | 1000000000 => một tỷ
            2500000000 => hai tỷ năm trăm triệu",
        );
        let nines = "chín trăm chín mươi chín";
        assert_eq!(
            normalise("999999999999"),
            format!("{nines} tỷ {nines} triệu {nines} nghìn {nines}")
        );
    }

    #[test]
    fn thousands_separators_and_decimal_comma() {
        check(
            "1.500.000 => một triệu năm trăm nghìn | 1.500.000 đồng => một triệu năm trăm nghìn đồng
            2.026 => hai nghìn không trăm hai mươi sáu | 2,5 => hai phẩy năm | 3,14 => ba phẩy mười bốn
            2,05 => hai phẩy không năm | 1.250,5 => một nghìn hai trăm năm mươi phẩy năm
            1.5 => một chấm năm | có 3 hộ. => có ba hộ. | Điều 3. 500 người => Điều ba. năm trăm người
            nhiệt độ -5°C => nhiệt độ âm năm độ xê",
        );
    }

    #[test]
    fn phone_numbers_and_long_runs_read_digit_by_digit() {
        check(
            "0912345678 => không chín một hai ba bốn năm sáu bảy tám
            0912.345.678 => không chín một hai ba bốn năm sáu bảy tám
            gọi 024 3825 1234 ngay => gọi không hai bốn ba tám hai năm một hai ba bốn ngay
            0912 345 678 10 người => không chín một hai ba bốn năm sáu bảy tám mười người
            SĐT: 02393855123 => số điện thoại: không hai ba chín ba tám năm năm một hai ba | 05 => năm
            0123 => một trăm hai mươi ba
            1234567890123 => một hai ba bốn năm sáu bảy tám chín không một hai ba",
        );
        assert_eq!(normalise("123456789012345678901234567890").split(' ').count(), 30);
    }

    #[test]
    fn dates() {
        check(
            "15/3/2026 => ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi sáu
            05/12/2026 => ngày năm tháng mười hai năm hai nghìn không trăm hai mươi sáu
            1/4/2025 => ngày một tháng tư năm hai nghìn không trăm hai mươi lăm
            ngày 15/3/2026 => ngày mười lăm tháng ba năm hai nghìn không trăm hai mươi sáu
            Ngày 24/04 => Ngày hai mươi tư tháng tư | 17/9 => ngày mười bảy tháng chín
            tháng 3/2026 => tháng ba năm hai nghìn không trăm hai mươi sáu
            3/2026 => tháng ba năm hai nghìn không trăm hai mươi sáu
            từ ngày 15-17/9 => từ ngày mười lăm đến ngày mười bảy tháng chín",
        );
    }

    #[test]
    fn invalid_dates_and_other_slashes_read_tren() {
        check(
            "32/13 => ba mươi hai trên mười ba | 5 / 10 => năm trên mười | 1/2/3 => một trên hai trên ba
            và/hoặc => và hoặc",
        );
    }

    #[test]
    fn times() {
        check(
            "7h30 => bảy giờ ba mươi phút | 22h => hai mươi hai giờ | 7h => bảy giờ
            07:30 => bảy giờ ba mươi phút | 11h00 => mười một giờ | 7h05 => bảy giờ năm phút
            trong 24h tới => trong hai mươi tư giờ tới | 22h-23h => hai mươi hai giờ đến hai mươi ba giờ
            7h75 => bảy h bảy mươi lăm | tỷ số 2:1 => tỷ số hai: một",
        );
    }

    #[test]
    fn ranges_and_dashes() {
        let rain = "lượng mưa phổ biến một trăm năm mươi đến hai trăm năm mươi mi li mét";
        assert_eq!(normalise("lượng mưa phổ biến 150–250 mm"), rain);
        check(
            "150–250 mm => một trăm năm mươi đến hai trăm năm mươi mi li mét
            20 - 30% => hai mươi đến ba mươi phần trăm
            2025-2026 => hai nghìn không trăm hai mươi lăm đến hai nghìn không trăm hai mươi sáu
            Hà Nội - Hải Phòng => Hà Nội, Hải Phòng | - Nội dung => Nội dung | NĐ-CP => NĐ CP",
        );
    }

    #[test]
    fn units_after_numbers() {
        check(
            "5 mm => năm mi li mét | 12cm => mười hai xen ti mét | 3 km => ba ki lô mét
            100 m. => một trăm mét. | 60 km/h => sáu mươi ki lô mét một giờ | 35°C => ba mươi lăm độ xê
            50% => năm mươi phần trăm | 20 kg => hai mươi ki lô gam | 2,5 ha => hai phẩy năm héc ta
            4 m3 => bốn mét khối | 4 m³ => bốn mét khối | 3 mét => ba mét | 5 hai => năm hai",
        );
    }

    #[test]
    fn abbreviations() {
        check(
            "UBND xã => Ủy ban nhân dân xã | HĐND huyện => Hội đồng nhân dân huyện
            TP. Huế => thành phố Huế | TP.HCM => thành phố Hồ Chí Minh | TP Vinh => thành phố Vinh
            TX Hương Thủy => thị xã Hương Thủy
            BCH PCTT và TKCN => Ban chỉ huy phòng chống thiên tai và tìm kiếm cứu nạn
            CSGT => cảnh sát giao thông
            trường THPT và THCS => trường trung học phổ thông và trung học cơ sở
            BHYT, BHXH => bảo hiểm y tế, bảo hiểm xã hội | ĐT: 113 => điện thoại: một trăm mười ba
            phòng Covid-19 => phòng Cô vít mười chín | gạo, muối v.v. và => gạo, muối vân vân và
            TS. Nguyễn => TS. Nguyễn | UBNDX ubnd => UBNDX ubnd",
        );
    }

    #[test]
    fn numbered_words_stay() {
        check("Bão số 3 => Bão số ba | Số 3 => Số ba | dưới 5 tuổi => dưới năm tuổi");
    }

    #[test]
    fn punctuation_symbols_and_whitespace() {
        check(
            "**Chú ý** #tin_mới => Chú ý tin mới | \"Trích dẫn\" <b> ~x~ “a” ‘b’ => Trích dẫn b x a b
            Sao?! Được... Xong; => Sao? Được. Xong; | Chờ… => Chờ. | A & B => A và B | !!! ... =>",
        );
        assert_eq!(normalise("  Xin   chào\t các\u{a0}bạn  "), "Xin chào các bạn");
        assert_eq!(normalise(""), "");
        assert_eq!(normalise("a|b"), "a b");
    }

    #[test]
    fn newlines_become_pauses() {
        assert_eq!(normalise("Dòng một\nDòng hai"), "Dòng một. Dòng hai");
        assert_eq!(
            normalise("Thông báo:\r\nHọp lúc 7h\n\n\nHết"),
            "Thông báo: Họp lúc bảy giờ. Hết"
        );
        assert_eq!(normalise("Xong!\n"), "Xong!");
        assert_eq!(normalise("\n \n"), "");
    }

    #[test]
    fn full_announcement() {
        let input = "Thông báo của UBND xã: Trạm y tế xã tổ chức tiêm chủng cho trẻ dưới 5 tuổi vào sáng \
                     thứ Bảy, 05/12/2026, từ 7h30 đến 11h00.";
        let expected = "Thông báo của Ủy ban nhân dân xã: Trạm y tế xã tổ chức tiêm chủng cho trẻ dưới năm \
                        tuổi vào sáng thứ Bảy, ngày năm tháng mười hai năm hai nghìn không trăm hai mươi \
                        sáu, từ bảy giờ ba mươi phút đến mười một giờ.";
        assert_eq!(normalise(input), expected);
    }

    #[test]
    fn never_panics() {
        let samples = [
            "....",
            "?!,;:",
            "🙂🎉 👍🏽",
            "漢字 русский العربية ไทย",
            "111111111111111111111111111111",
            "9.999.999.999.999.999,0000000000000000001",
            "12/34/56/78/90/ /1/ 4294967296/4294967296/99999999999999999999",
            "99:99 24:00 1h 1h6 100h 7h60 :30 h30",
            "-–—−-1-2--3 1,,2..3//4",
            "°C % km/h m³ 5° 0 0 0 0 0 0 0 0 0 0.0.0.0",
            "Cơ\u{300} sở\u{301} 5\u{301} TP. TP.. v.v v. UBND-19",
            "\u{200b}\u{feff}5\u{a0}mm",
        ];
        for len in 0..40 {
            let digits: String = (0..len).map(|k| char::from(b'0' + (k * 7 % 10) as u8)).collect();
            for sample in samples.iter().map(|s| s.to_string()).chain([
                digits.clone(),
                format!("{digits}/{digits}h{digits}:{digits},{digits}.{digits}-{digits} {digits}"),
            ]) {
                let out = normalise(&sample);
                assert!(
                    !out.contains("  ") && out.trim() == out,
                    "bad spacing for {sample:?}: {out:?}"
                );
            }
        }
    }
}
