//! Writes one year's drop files exactly in the formats of drops.md, applying the year's fault plan.
//!
//! Guarantees: headers and column order are those of drops.md; numbers are formatted without
//! allocation per field; files are written through a buffer and flushed, and any I/O failure is
//! an error naming the file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::SynthError;
use super::background::background;
use super::faults::{BAD_KOMMUN, FaultPlan, UNKNOWN_QUESTION};
use super::geography::Geography;
use super::population::{AGES, Population, cell};
use super::register::RegRow;
use super::survey::answers;
use crate::config::survey::SurveyConfig;

/// The header of register.tsv (drops.md).
pub(crate) const REGISTER_HEADER: &str = "ar\tmanad\tkommun\tdistrikt\thushall_id\tbarn_under_16\tbelopp_kr\tpnr1\tkon1\talder1\tutrikes1\tpnr2\tkon2\talder2\tutrikes2\tpnr3\tkon3\talder3\tutrikes3\tpnr4\tkon4\talder4\tutrikes4\tpnr5\tkon5\talder5\tutrikes5";
/// The other headers (drops.md).
pub(crate) const REGIONER_HEADER: &str = "niva;kod;namn;overordnad;kommungrupp;enkat_respondent";
pub(crate) const BEFOLKNING_HEADER: &str = "region;kon;alder;utrikes_fodd;antal";
pub(crate) const BAKGRUND_HEADER: &str = "kommun;lag_inkomst_18_64;arbetslosa_18_64;arbetslosa_utan_ers_18_64;forgymn_inrikes_25_64;utrikes_vist_0_5_18_64;utrikes_vist_6_10_18_64";

/// Everything one year's files are written from.
pub(crate) struct YearFiles<'a> {
    pub(crate) geo: &'a Geography,
    pub year: i32,
    pub seed: u64,
    pub population: &'a Population,
    pub need: &'a [f64],
    pub rows: &'a [RegRow],
    pub questions: &'a SurveyConfig,
    pub plan: &'a FaultPlan,
}

/// Writes `<out>/<year>/{regioner.csv, befolkning.csv, register.tsv, bakgrund.csv, enkat.csv}`.
pub(crate) fn write_year(out: &Path, y: &YearFiles) -> Result<(), SynthError> {
    let dir = out.join(y.year.to_string());
    std::fs::create_dir_all(&dir).map_err(|source| SynthError::Io {
        path: dir.clone(),
        source,
    })?;
    write_file(&dir.join("regioner.csv"), |w| regioner(w, y))?;
    write_file(&dir.join("befolkning.csv"), |w| befolkning(w, y))?;
    write_file(&dir.join("register.tsv"), |w| register(w, y))?;
    write_file(&dir.join("bakgrund.csv"), |w| bakgrund(w, y))?;
    write_file(&dir.join("enkat.csv"), |w| enkat(w, y))?;
    Ok(())
}

fn write_file(
    path: &PathBuf,
    body: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
) -> Result<(), SynthError> {
    let io = |source| SynthError::Io {
        path: path.clone(),
        source,
    };
    let file = File::create(path).map_err(io)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    body(&mut w).map_err(io)?;
    w.flush().map_err(io)
}

/// Appends the decimal digits of `v`.
fn push_uint(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Appends `v` as 16 lowercase hex digits.
fn push_hex16(buf: &mut Vec<u8>, v: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for shift in (0..16).rev() {
        buf.push(HEX[((v >> (shift * 4)) & 0xf) as usize]);
    }
}

fn regioner(w: &mut impl Write, y: &YearFiles) -> std::io::Result<()> {
    let g = y.geo;
    let mut s = String::with_capacity(32 * 1024);
    s.push_str(REGIONER_HEADER);
    s.push('\n');
    s.push_str("riket;00;Riket;;;0\n");
    for l in &g.lan {
        s.push_str(&format!("lan;{};{};00;;0\n", l.code, l.name));
    }
    for (k, kommun) in g.kommuner.iter().enumerate() {
        let respondent = u8::from(!g.has_districts(k, y.year));
        s.push_str(&format!(
            "kommun;{};{};{};{};{respondent}\n",
            kommun.code, kommun.name, g.lan[kommun.lan].code, kommun.group
        ));
    }
    for (_, sd) in g.stadsdelar_in(y.year) {
        s.push_str(&format!(
            "stadsdel;{};{};{};;1\n",
            sd.code, sd.name, g.kommuner[sd.kommun].code
        ));
    }
    if y.plan.regioner_1252 {
        let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&s);
        w.write_all(&bytes)
    } else {
        w.write_all(s.as_bytes())
    }
}

fn befolkning(w: &mut impl Write, y: &YearFiles) -> std::io::Result<()> {
    let g = y.geo;
    let mut buf = Vec::with_capacity(64 * 1024);
    buf.extend_from_slice(BEFOLKNING_HEADER.as_bytes());
    buf.push(b'\n');
    let region = |buf: &mut Vec<u8>, code: &str, cells: &[u32]| {
        for kon in [1u8, 2] {
            for alder in 0..AGES {
                for utr in [false, true] {
                    buf.extend_from_slice(code.as_bytes());
                    buf.push(b';');
                    push_uint(buf, u64::from(kon));
                    buf.push(b';');
                    push_uint(buf, alder as u64);
                    buf.push(b';');
                    buf.push(if utr { b'1' } else { b'0' });
                    buf.push(b';');
                    push_uint(buf, u64::from(cells[cell(kon, alder, utr)]));
                    buf.push(b'\n');
                }
            }
        }
    };
    for (k, kommun) in g.kommuner.iter().enumerate() {
        if y.plan.population_gap == Some(k) {
            continue;
        }
        region(&mut buf, &kommun.code, &y.population.kommun[k]);
        if g.has_districts(k, y.year) {
            for (s, sd) in g.stadsdelar_in(y.year).filter(|(_, s)| s.kommun == k) {
                region(&mut buf, &sd.code, &y.population.stadsdel(g, s, y.year));
            }
        }
        w.write_all(&buf)?;
        buf.clear();
    }
    Ok(())
}

fn register(w: &mut impl Write, y: &YearFiles) -> std::io::Result<()> {
    let plan = y.plan;
    let mut header = REGISTER_HEADER.to_string();
    if plan.register_1252 {
        header =
            header
                .replacen("ar\tmanad", "år\tmånad", 1)
                .replacen("hushall_id", "hushåll_id", 1);
    }
    if plan.register_bad_header {
        header = header.replacen("belopp_kr", "belopp", 1);
    }
    header.push('\n');
    if plan.register_1252 {
        w.write_all(&encoding_rs::WINDOWS_1252.encode(&header).0)?;
    } else {
        w.write_all(header.as_bytes())?;
    }
    let codes: Vec<&str> = y.geo.kommuner.iter().map(|k| k.code.as_str()).collect();
    let mut line = Vec::with_capacity(256);
    let last = y.rows.len().saturating_sub(1);
    for (i, r) in y.rows.iter().enumerate() {
        if plan.dropped == Some((r.kommun, r.month)) {
            continue;
        }
        line.clear();
        push_uint(&mut line, y.year as u64);
        line.push(b'\t');
        push_uint(&mut line, u64::from(r.month));
        line.push(b'\t');
        if plan.bad_kommun_rows.contains(&i) {
            line.extend_from_slice(BAD_KOMMUN.as_bytes());
        } else {
            line.extend_from_slice(codes[usize::from(r.kommun)].as_bytes());
        }
        line.push(b'\t');
        if r.district > 0 {
            line.push(b'0' + r.district / 10);
            line.push(b'0' + r.district % 10);
        }
        line.push(b'\t');
        push_hex16(&mut line, r.household);
        line.push(b'\t');
        push_uint(&mut line, u64::from(r.barn));
        line.push(b'\t');
        if plan.negative_rows.contains(&i) {
            line.push(b'-');
        }
        push_uint(&mut line, u64::from(r.belopp));
        for (j, p) in r.persons.iter().enumerate() {
            if j < usize::from(r.n) {
                line.push(b'\t');
                push_hex16(&mut line, p.id);
                line.push(b'\t');
                push_uint(&mut line, u64::from(p.kon));
                line.push(b'\t');
                push_uint(&mut line, u64::from(p.alder));
                line.push(b'\t');
                line.push(if p.utrikes { b'1' } else { b'0' });
            } else {
                line.extend_from_slice(b"\t\t\t\t");
            }
        }
        line.push(b'\n');
        if plan.truncate && i == last {
            w.write_all(&line[..line.len() / 2])?;
            break;
        }
        w.write_all(&line)?;
        if plan.duplicate_rows.contains(&i) {
            w.write_all(&line)?;
        }
    }
    Ok(())
}

fn bakgrund(w: &mut impl Write, y: &YearFiles) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(16 * 1024);
    buf.extend_from_slice(BAKGRUND_HEADER.as_bytes());
    buf.push(b'\n');
    for b in background(y.geo, y.population, y.need, y.year, y.seed) {
        buf.extend_from_slice(y.geo.kommuner[b.kommun].code.as_bytes());
        for v in [
            b.lag_inkomst,
            b.arbetslosa,
            b.arbetslosa_utan_ers,
            b.forgymn_inrikes,
            b.utrikes_0_5,
            b.utrikes_6_10,
        ] {
            buf.push(b';');
            push_uint(&mut buf, v);
        }
        buf.push(b'\n');
    }
    w.write_all(&buf)
}

fn enkat(w: &mut impl Write, y: &YearFiles) -> std::io::Result<()> {
    let mut s = String::from("respondent;inkommen");
    for q in y.questions.questions_for_year(y.year as i64) {
        s.push(';');
        s.push_str(&q.column);
    }
    if y.plan.unknown_question {
        s.push(';');
        s.push_str(UNKNOWN_QUESTION);
    }
    s.push('\n');
    let all = answers(y.geo, y.population, y.rows, y.questions, y.year, y.seed);
    for (i, a) in all.iter().enumerate() {
        s.push_str(&a.respondent);
        s.push(';');
        if let Some((yy, m, d)) = a.inkommen {
            s.push_str(&format!("{yy:04}-{m:02}-{d:02}"));
        }
        for v in &a.answers {
            s.push(';');
            s.push_str(v);
        }
        if y.plan.unknown_question {
            s.push(';');
            if a.inkommen.is_some() {
                s.push_str(if i % 3 == 0 { "Nej" } else { "Ja" });
            }
        }
        s.push('\n');
    }
    w.write_all(s.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_and_ids() {
        let mut b = Vec::new();
        push_uint(&mut b, 0);
        b.push(b' ');
        push_uint(&mut b, 1_234_567);
        b.push(b' ');
        push_hex16(&mut b, 0xab);
        assert_eq!(b, b"0 1234567 00000000000000ab");
    }
}
