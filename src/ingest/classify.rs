//! Honeypot classification (`peerType`) from the sensor id (`Analyzer/@id`).
//!
//! The id is tested against a table of patterns in order; the first pattern that occurs in the
//! id (case-sensitive substring test) gives the `peerType`; no match gives `Unclassified`.
//!
//! [`Classification::Legacy`] uses exactly PEBA's V2020 table (30 entries; the dotted patterns
//! match the naming scheme of private DTAG sensors). [`Classification::Extended`], the default,
//! appends one entry for each current ewsposter module that the legacy table leaves
//! `Unclassified`. Extended entries come *after* the legacy ones, so no id that PEBA classified
//! changes its `peerType`.
//!
//! | # | id contains | peerType | table |
//! |---|---|---|---|
//! | 1 | `WebHoneypot` | `Webpage` | legacy |
//! | 2 | `dionaea` | `Network(Dionaea)` | legacy |
//! | 3 | `.dio` | `Network(Dionaea)` | legacy |
//! | 4 | `honeytrap` | `Network(honeytrap)` | legacy |
//! | 5 | `.ht` | `Network(honeytrap)` | legacy |
//! | 6 | `kippo` | `SSH/console(cowrie)` | legacy |
//! | 7 | `.kip` | `SSH/console(cowrie)` | legacy |
//! | 8 | `cowrie` | `SSH/console(cowrie)` | legacy |
//! | 9 | `.cow` | `SSH/console(cowrie)` | legacy |
//! | 10 | `glastopf` | `Webpage` | legacy |
//! | 11 | `.gt3` | `Webpage` | legacy |
//! | 12 | `vnclowpot` | `VNC(vnclowpot)` | legacy |
//! | 13 | `.vnc` | `VNC(vnclowpot)` | legacy |
//! | 14 | `rdpy` | `RDP(rdpy)` | legacy |
//! | 15 | `.rdp` | `RDP(rdpy)` | legacy |
//! | 16 | `mailoney` | `E-Mail(mailoney)` | legacy |
//! | 17 | `.mail` | `E-Mail(mailoney)` | legacy |
//! | 18 | `heralding` | `Passwords(heralding)` | legacy |
//! | 19 | `.her` | `Passwords(heralding)` | legacy |
//! | 20 | `ciscoasa` | `Network(cisco-asa)` | legacy |
//! | 21 | `elasticpot` | `Service(ES)` | legacy |
//! | 22 | `.elk` | `Service(ES)` | legacy |
//! | 23 | `suricata` | `Network(suricata)` | legacy |
//! | 24 | `tanner` | `Webpage` | legacy |
//! | 25 | `.tan` | `Webpage` | legacy |
//! | 26 | `medpot` | `Service(Medicine)` | legacy |
//! | 27 | `emobility` | `Service(emobility)` | legacy |
//! | 28 | `conpot` | `Industrial(conpot)` | legacy |
//! | 29 | `.con` | `Industrial(conpot)` | legacy |
//! | 30 | `glutton` | `Network(glutton)` | legacy |
//! | 31 | `adbhoney` | `Android(adbhoney)` | extended |
//! | 32 | `beelzebub` | `SSH/console(beelzebub)` | extended |
//! | 33 | `citrix` | `Service(citrix)` | extended |
//! | 34 | `ddospot` | `Network(ddospot)` | extended |
//! | 35 | `dicompot` | `Service(dicompot)` | extended |
//! | 36 | `endlessh` | `SSH/console(endlessh)` | extended |
//! | 37 | `fatt` | `Network(fatt)` | extended |
//! | 38 | `galah` | `Webpage(galah)` | extended |
//! | 39 | `gopot` | `Webpage(gopot)` | extended |
//! | 40 | `h0neytr4p` | `Webpage(h0neytr4p)` | extended |
//! | 41 | `hellpot` | `Webpage(hellpot)` | extended |
//! | 42 | `honeyaml` | `Webpage(honeyaml)` | extended |
//! | 43 | `honeypots` | `Network(honeypots)` | extended |
//! | 44 | `honeypy` | `Network(honeypy)` | extended |
//! | 45 | `honeysap` | `Service(honeysap)` | extended |
//! | 46 | `ipphoney` | `Printer(ipphoney)` | extended |
//! | 47 | `log4pot` | `Webpage(log4pot)` | extended |
//! | 48 | `miniprint` | `Printer(miniprint)` | extended |
//! | 49 | `redishoneypot` | `Service(redishoneypot)` | extended |
//! | 50 | `sentrypeer` | `VoIP(sentrypeer)` | extended |
//! | 51 | `wordpot` | `Webpage(wordpot)` | extended |
//! | – | (nothing matched) | `Unclassified` | both |
//!
//! Categories of the extended entries follow what the honeypot emulates: `Android` (ADB),
//! `SSH/console` (SSH servers and tarpits), `Webpage` (HTTP applications), `Service` (single
//! application protocols: Citrix ADC, DICOM, SAP, Redis), `Network` (multi-protocol and
//! network-level sensors), `Printer` (IPP, PJL), `VoIP` (SIP).

/// Which classification table ingest uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Classification {
    /// PEBA's V2020 table followed by one entry per newer ewsposter module (the default).
    #[default]
    Extended,
    /// Exactly PEBA's V2020 table, for operators who need PEBA's numbers.
    Legacy,
}

/// The `peerType` of ids that match no pattern.
pub const UNCLASSIFIED: &str = "Unclassified";

/// PEBA's V2020 table, in its order.
pub const LEGACY_TABLE: &[(&str, &str)] = &[
    ("WebHoneypot", "Webpage"),
    ("dionaea", "Network(Dionaea)"),
    (".dio", "Network(Dionaea)"),
    ("honeytrap", "Network(honeytrap)"),
    (".ht", "Network(honeytrap)"),
    ("kippo", "SSH/console(cowrie)"),
    (".kip", "SSH/console(cowrie)"),
    ("cowrie", "SSH/console(cowrie)"),
    (".cow", "SSH/console(cowrie)"),
    ("glastopf", "Webpage"),
    (".gt3", "Webpage"),
    ("vnclowpot", "VNC(vnclowpot)"),
    (".vnc", "VNC(vnclowpot)"),
    ("rdpy", "RDP(rdpy)"),
    (".rdp", "RDP(rdpy)"),
    ("mailoney", "E-Mail(mailoney)"),
    (".mail", "E-Mail(mailoney)"),
    ("heralding", "Passwords(heralding)"),
    (".her", "Passwords(heralding)"),
    ("ciscoasa", "Network(cisco-asa)"),
    ("elasticpot", "Service(ES)"),
    (".elk", "Service(ES)"),
    ("suricata", "Network(suricata)"),
    ("tanner", "Webpage"),
    (".tan", "Webpage"),
    ("medpot", "Service(Medicine)"),
    ("emobility", "Service(emobility)"),
    ("conpot", "Industrial(conpot)"),
    (".con", "Industrial(conpot)"),
    ("glutton", "Network(glutton)"),
];

/// The entries the extended table appends to [`LEGACY_TABLE`].
pub const EXTENSION_TABLE: &[(&str, &str)] = &[
    ("adbhoney", "Android(adbhoney)"),
    ("beelzebub", "SSH/console(beelzebub)"),
    ("citrix", "Service(citrix)"),
    ("ddospot", "Network(ddospot)"),
    ("dicompot", "Service(dicompot)"),
    ("endlessh", "SSH/console(endlessh)"),
    ("fatt", "Network(fatt)"),
    ("galah", "Webpage(galah)"),
    ("gopot", "Webpage(gopot)"),
    ("h0neytr4p", "Webpage(h0neytr4p)"),
    ("hellpot", "Webpage(hellpot)"),
    ("honeyaml", "Webpage(honeyaml)"),
    ("honeypots", "Network(honeypots)"),
    ("honeypy", "Network(honeypy)"),
    ("honeysap", "Service(honeysap)"),
    ("ipphoney", "Printer(ipphoney)"),
    ("log4pot", "Webpage(log4pot)"),
    ("miniprint", "Printer(miniprint)"),
    ("redishoneypot", "Service(redishoneypot)"),
    ("sentrypeer", "VoIP(sentrypeer)"),
    ("wordpot", "Webpage(wordpot)"),
];

impl Classification {
    /// The `peerType` of a sensor id.
    pub fn classify(self, id: &str) -> &'static str {
        let extension: &[(&str, &str)] = match self {
            Classification::Extended => EXTENSION_TABLE,
            Classification::Legacy => &[],
        };
        LEGACY_TABLE
            .iter()
            .chain(extension)
            .find(|(pattern, _)| id.contains(pattern))
            .map_or(UNCLASSIFIED, |&(_, peer_type)| peer_type)
    }
}

/// A honeypot type of the classification tables and the sensor modules classified as it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoneypotKind {
    /// The stored `peerType`, e.g. `SSH/console(cowrie)`.
    pub label: &'static str,
    /// The sensor id patterns that are module names (not the dotted private-sensor
    /// abbreviations), in table order, e.g. `kippo`, `cowrie`.
    pub modules: Vec<&'static str>,
}

impl HoneypotKind {
    /// What the honeypot emulates: the label up to its first `(`, e.g. `SSH/console`.
    pub fn category(&self) -> &'static str {
        self.label.split('(').next().unwrap_or(self.label)
    }
}

/// Every honeypot type of the extended table, in table order of first appearance, then
/// [`UNCLASSIFIED`].
pub fn catalog() -> Vec<HoneypotKind> {
    let mut kinds: Vec<HoneypotKind> = Vec::new();
    for &(pattern, label) in LEGACY_TABLE.iter().chain(EXTENSION_TABLE) {
        let index = match kinds.iter().position(|k| k.label == label) {
            Some(index) => index,
            None => {
                kinds.push(HoneypotKind {
                    label,
                    modules: Vec::new(),
                });
                kinds.len() - 1
            }
        };
        if !pattern.starts_with('.') {
            kinds[index].modules.push(pattern);
        }
    }
    kinds.push(HoneypotKind {
        label: UNCLASSIFIED,
        modules: Vec::new(),
    });
    kinds
}

/// The `peerType` a filter value names: a label of the catalog exactly, or a module name in
/// any case (`cowrie`, `Glastopf`); `None` for anything else.
pub fn label_of(name: &str) -> Option<&'static str> {
    let kinds = catalog();
    kinds
        .iter()
        .find(|k| k.label == name)
        .or_else(|| {
            kinds
                .iter()
                .find(|k| k.modules.iter().any(|m| m.eq_ignore_ascii_case(name)))
        })
        .map(|k| k.label)
}

/// The `peerType` of a sensor id under the default (extended) table.
pub fn classify(id: &str) -> &'static str {
    Classification::Extended.classify(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_pot_default_ids() {
        let legacy = Classification::Legacy;
        for (id, expected) in [
            ("cowrie-community-01", "SSH/console(cowrie)"),
            ("dionaea-community-01", "Network(Dionaea)"),
            ("honeytrap-community-01", "Network(honeytrap)"),
            ("glastopfv3-community-01", "Webpage"),
            ("tanner-community-01", "Webpage"),
            ("heralding-community-01", "Passwords(heralding)"),
            ("ciscoasa-community-01", "Network(cisco-asa)"),
            ("elasticpot-community-01", "Service(ES)"),
            ("suricata-community-01", "Network(suricata)"),
            ("medpot-community-01", "Service(Medicine)"),
            ("emobility-community-01", "Service(emobility)"),
            ("conpot-community-01", "Industrial(conpot)"),
            ("glutton", "Network(glutton)"),
            ("mailoney-community-01", "E-Mail(mailoney)"),
            ("rdpy-community-01", "RDP(rdpy)"),
            ("vnclowpot-community-01", "VNC(vnclowpot)"),
        ] {
            assert_eq!(legacy.classify(id), expected, "{id}");
            assert_eq!(classify(id), expected, "{id}");
        }
    }

    #[test]
    fn order_decides_first_match() {
        // `WebHoneypot` precedes `.dio`; `dionaea` precedes `honeytrap`; `.ht` precedes `cowrie`.
        assert_eq!(classify("x.dio.WebHoneypot"), "Webpage");
        assert_eq!(classify("honeytrap-dionaea"), "Network(Dionaea)");
        assert_eq!(classify("s1.ht-cowrie"), "Network(honeytrap)");
        assert_eq!(classify("sensor.con"), "Industrial(conpot)");
        assert_eq!(classify("sensor.cow"), "SSH/console(cowrie)");
    }

    #[test]
    fn catalog_names_every_label_once_with_its_modules() {
        let kinds = catalog();
        let cowrie = kinds
            .iter()
            .find(|k| k.label == "SSH/console(cowrie)")
            .unwrap();
        assert_eq!(cowrie.modules, ["kippo", "cowrie"]);
        assert_eq!(cowrie.category(), "SSH/console");
        let web = kinds.iter().find(|k| k.label == "Webpage").unwrap();
        assert_eq!(web.modules, ["WebHoneypot", "glastopf", "tanner"]);
        assert_eq!(web.category(), "Webpage");
        let mut labels: Vec<_> = kinds.iter().map(|k| k.label).collect();
        labels.sort();
        labels.dedup();
        assert_eq!(labels.len(), kinds.len());
        // every label ingest can store is in the catalog
        for &(pattern, label) in LEGACY_TABLE.iter().chain(EXTENSION_TABLE) {
            assert_eq!(label_of(label), Some(label));
            assert!(kinds.iter().any(|k| k.label == classify(pattern)));
        }
        assert_eq!(label_of("cowrie"), Some("SSH/console(cowrie)"));
        assert_eq!(label_of("Glastopf"), Some("Webpage"));
        assert_eq!(label_of("Unclassified"), Some(UNCLASSIFIED));
        assert_eq!(label_of("ssh"), None);
    }

    #[test]
    fn matching_is_case_sensitive() {
        assert_eq!(classify("Cowrie-01"), UNCLASSIFIED);
        assert_eq!(classify("webhoneypot"), UNCLASSIFIED);
        assert_eq!(classify(""), UNCLASSIFIED);
    }

    #[test]
    fn extension_only_in_extended_table() {
        for (id, expected) in [
            ("adbhoney-community-01", "Android(adbhoney)"),
            ("beelzebub-community-01", "SSH/console(beelzebub)"),
            ("ddospot-community-01", "Network(ddospot)"),
            ("wordpot-community-01", "Webpage(wordpot)"),
            ("honeypots-community-01", "Network(honeypots)"),
            ("honeypy-community-01", "Network(honeypy)"),
            ("sentrypeer-community-01", "VoIP(sentrypeer)"),
        ] {
            assert_eq!(Classification::Extended.classify(id), expected, "{id}");
            assert_eq!(Classification::Legacy.classify(id), UNCLASSIFIED, "{id}");
        }
    }

    #[test]
    fn every_module_of_the_decision_is_classified() {
        for module in [
            "adbhoney",
            "beelzebub",
            "citrix",
            "ddospot",
            "dicompot",
            "endlessh",
            "fatt",
            "galah",
            "gopot",
            "h0neytr4p",
            "hellpot",
            "honeyaml",
            "honeypots",
            "honeypy",
            "honeysap",
            "ipphoney",
            "log4pot",
            "miniprint",
            "redishoneypot",
            "sentrypeer",
            "wordpot",
        ] {
            let peer_type = classify(&format!("{module}-community-01"));
            assert!(
                peer_type.ends_with(&format!("({module})")),
                "{module}: {peer_type}"
            );
        }
    }
}
