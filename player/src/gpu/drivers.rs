//! Which Vulkan drivers the loader may open.
//!
//! The Vulkan loader opens every installed driver while it enumerates
//! devices, and each one stays mapped for the life of the process: on a
//! board without a GPU, Debian's `mesa-vulkan-drivers` brings radv, anv and
//! hasvk besides lavapipe, ≈ 5 MiB of relocated libraries the board never
//! draws with. Before the first Vulkan call the player names the drivers
//! worth opening in `VK_DRIVER_FILES` (and `VK_ICD_FILENAMES`, its name in
//! older loaders):
//!
//! - lavapipe, always — it is what a board falls back to today when its
//!   GPU has no Vulkan driver, and wgpu prefers any real GPU to it;
//! - the driver of each GPU the kernel shows a render node for
//!   (`/sys/class/drm/renderD*/device/driver`: amdgpu → radv, i915/xe → anv
//!   and hasvk, v3d → v3dv, …); a GPU whose kernel driver has no known
//!   Vulkan driver adds nothing, one this table does not know leaves the
//!   loader's own choice (every driver) in place.
//!
//! Operators decide with `BANGTIN_VULKAN_DRIVERS`: `auto` (the default),
//! `all` (the loader's own choice), or names such as `lvp` or `radeon,lvp`
//! (manifest names without `_icd…json`) or manifest paths. Any of the
//! loader's own variables (`VK_DRIVER_FILES`, `VK_ICD_FILENAMES`,
//! `VK_ADD_DRIVER_FILES`, `VK_LOADER_DRIVERS_SELECT`,
//! `VK_LOADER_DRIVERS_DISABLE`) wins over all of this.

use std::path::{Path, PathBuf};

/// The player's own setting.
pub const ENV: &str = "BANGTIN_VULKAN_DRIVERS";

/// The loader's variables: set by an operator, they are left alone.
const LOADER_VARS: [&str; 5] = [
    "VK_DRIVER_FILES",
    "VK_ICD_FILENAMES",
    "VK_ADD_DRIVER_FILES",
    "VK_LOADER_DRIVERS_SELECT",
    "VK_LOADER_DRIVERS_DISABLE",
];

/// Mesa's software driver (lavapipe).
const SOFTWARE: &str = "lvp";

/// Kernel DRM driver → the Vulkan drivers (manifest names) that can run it.
/// An empty list: the GPU has no Vulkan driver (lavapipe serves the board).
const KERNEL_TO_VULKAN: &[(&str, &[&str])] = &[
    ("amdgpu", &["radeon"]),
    ("radeon", &[]),
    ("i915", &["intel", "intel_hasvk"]),
    ("xe", &["intel"]),
    ("v3d", &["broadcom"]),
    ("vc4", &[]),
    ("panfrost", &["panfrost"]),
    ("panthor", &["panfrost"]),
    ("lima", &[]),
    ("etnaviv", &[]),
    ("msm", &["freedreno"]),
    ("nouveau", &["nouveau"]),
    ("nvidia", &["nvidia"]),
    ("nvidia-drm", &["nvidia"]),
    ("virtio_gpu", &["virtio"]),
    ("virtio-gpu", &["virtio"]),
    ("asahi", &["asahi"]),
    ("vmwgfx", &[]),
    ("vgem", &[]),
    ("vkms", &[]),
];

/// What the choice is made from.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `BANGTIN_VULKAN_DRIVERS`, if set.
    pub setting: Option<String>,
    /// The loader's variables that are set (non-empty).
    pub loader_vars: Vec<String>,
    /// Kernel drivers of the render nodes (`/dev/dri/renderD*`).
    pub kernel_drivers: Vec<String>,
    /// Installed driver manifests, in the loader's search order.
    pub manifests: Vec<PathBuf>,
}

/// What to tell the loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Let the loader open every installed driver; why.
    Leave(String),
    /// Open only these manifests; why.
    Only(Vec<PathBuf>, String),
}

/// `lvp_icd.x86_64.json` → (`lvp`, Some(`x86_64`)).
fn manifest_name(path: &Path) -> Option<(&str, Option<&str>)> {
    let file = path.file_name()?.to_str()?;
    let stem = file.strip_suffix(".json")?;
    let (name, rest) = stem.split_once("_icd")?;
    Some((name, rest.strip_prefix('.').filter(|a| !a.is_empty())))
}

/// The installed manifests of driver `name`, for this machine's
/// architecture where the file name says one (multiarch systems install
/// `lvp_icd.i686.json` beside `lvp_icd.x86_64.json`).
fn manifests_of<'a>(manifests: &'a [PathBuf], name: &str) -> Vec<&'a PathBuf> {
    let all: Vec<(&PathBuf, Option<&str>)> = manifests
        .iter()
        .filter_map(|p| manifest_name(p).filter(|(n, _)| *n == name).map(|(_, a)| (p, a)))
        .collect();
    let native: Vec<&PathBuf> = all
        .iter()
        .filter(|(_, a)| a.is_none_or(|a| a == std::env::consts::ARCH))
        .map(|(p, _)| *p)
        .collect();
    // An architecture spelt differently from Rust's (armv7l, i686): keep
    // them all; the loader skips a library of the wrong class.
    if native.is_empty() {
        all.into_iter().map(|(p, _)| p).collect()
    } else {
        native
    }
}

/// Decide which drivers the loader may open.
pub fn choose(f: &Facts) -> Choice {
    if !f.loader_vars.is_empty() {
        return Choice::Leave(format!("{} set", f.loader_vars.join(", ")));
    }
    let setting = f.setting.as_deref().map(str::trim).unwrap_or("");
    match setting {
        "" | "auto" => {}
        "all" => return Choice::Leave(format!("{ENV}=all")),
        list => {
            let mut chosen = Vec::new();
            for item in list.split([',', ':']).map(str::trim).filter(|s| !s.is_empty()) {
                if item.contains('/') {
                    chosen.push(PathBuf::from(item));
                } else {
                    chosen.extend(manifests_of(&f.manifests, item).into_iter().cloned());
                }
            }
            return if chosen.is_empty() {
                Choice::Leave(format!("{ENV}={list} names no installed driver"))
            } else {
                Choice::Only(chosen, format!("{ENV}={list}"))
            };
        }
    }
    let mut names: Vec<&str> = Vec::new();
    for k in &f.kernel_drivers {
        match KERNEL_TO_VULKAN.iter().find(|(kernel, _)| kernel == k) {
            Some((_, vulkan)) => names.extend(vulkan.iter().copied()),
            None => return Choice::Leave(format!("GPU with kernel driver {k}")),
        }
    }
    names.push(SOFTWARE);
    let mut chosen: Vec<PathBuf> = Vec::new();
    for n in names {
        for p in manifests_of(&f.manifests, n) {
            if !chosen.contains(p) {
                chosen.push(p.clone());
            }
        }
    }
    if chosen.is_empty() {
        return Choice::Leave("no known driver installed".into());
    }
    let why = if f.kernel_drivers.is_empty() {
        "no GPU render node".to_string()
    } else {
        format!("GPU kernel drivers {}", f.kernel_drivers.join(", "))
    };
    Choice::Only(chosen, why)
}

/// Where the loader looks for driver manifests on Linux, in its order.
fn search_dirs() -> Vec<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let home = var("HOME").map(PathBuf::from);
    let mut dirs = Vec::new();
    if let Some(d) = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or(home.as_ref().map(|h| h.join(".config")))
    {
        dirs.push(d);
    }
    let config_dirs = var("XDG_CONFIG_DIRS").unwrap_or_else(|| "/etc/xdg".into());
    dirs.extend(std::env::split_paths(&config_dirs));
    dirs.push("/etc".into());
    if let Some(d) = var("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or(home.map(|h| h.join(".local/share")))
    {
        dirs.push(d);
    }
    let data_dirs = var("XDG_DATA_DIRS").unwrap_or_else(|| "/usr/local/share:/usr/share".into());
    dirs.extend(std::env::split_paths(&data_dirs));
    dirs.into_iter().map(|d| d.join("vulkan/icd.d")).collect()
}

/// Read the facts from this machine.
pub fn facts() -> Facts {
    let setting = std::env::var(ENV).ok();
    let loader_vars = LOADER_VARS
        .iter()
        .filter(|k| std::env::var_os(k).is_some_and(|v| !v.is_empty()))
        .map(|k| k.to_string())
        .collect();
    let mut kernel_drivers: Vec<String> = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/sys/class/drm") {
        let mut nodes: Vec<PathBuf> = rd
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("renderD"))
            .map(|e| e.path())
            .collect();
        nodes.sort();
        for n in nodes {
            let driver = std::fs::read_link(n.join("device/driver"))
                .ok()
                .and_then(|l| l.file_name().map(|f| f.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "unknown".into());
            if !kernel_drivers.contains(&driver) {
                kernel_drivers.push(driver);
            }
        }
    }
    let mut manifests = Vec::new();
    for d in search_dirs() {
        let Ok(rd) = std::fs::read_dir(&d) else { continue };
        let mut here: Vec<PathBuf> = rd
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        here.sort();
        for p in here {
            // The first directory holding a file name wins, as for the loader.
            if !manifests.iter().any(|m: &PathBuf| m.file_name() == p.file_name()) {
                manifests.push(p);
            }
        }
    }
    Facts {
        setting,
        loader_vars,
        kernel_drivers,
        manifests,
    }
}

/// Decide and tell the loader. Must run before any other thread exists
/// (it sets environment variables) and before the first Vulkan call.
pub fn limit() -> Choice {
    let choice = choose(&facts());
    if let Choice::Only(paths, _) = &choice {
        let joined = std::env::join_paths(paths).unwrap_or_default();
        // SAFETY: called first thing in `main`, before any thread is
        // spawned, so nothing reads the environment concurrently.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("VK_DRIVER_FILES", &joined);
            std::env::set_var("VK_ICD_FILENAMES", &joined);
        }
    }
    choice
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installed() -> Vec<PathBuf> {
        let arch = std::env::consts::ARCH;
        [
            format!("/usr/share/vulkan/icd.d/intel_hasvk_icd.{arch}.json"),
            format!("/usr/share/vulkan/icd.d/intel_icd.{arch}.json"),
            format!("/usr/share/vulkan/icd.d/lvp_icd.{arch}.json"),
            "/usr/share/vulkan/icd.d/lvp_icd.armv7l.json".to_string(),
            format!("/usr/share/vulkan/icd.d/radeon_icd.{arch}.json"),
            "/usr/share/vulkan/icd.d/nvidia_icd.json".to_string(),
        ]
        .into_iter()
        .map(PathBuf::from)
        .collect()
    }

    fn facts(kernel: &[&str]) -> Facts {
        Facts {
            kernel_drivers: kernel.iter().map(|s| s.to_string()).collect(),
            manifests: installed(),
            ..Facts::default()
        }
    }

    fn names(c: &Choice) -> Vec<String> {
        match c {
            Choice::Only(p, _) => p
                .iter()
                .map(|p| {
                    p.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .split("_icd")
                        .next()
                        .unwrap()
                        .to_string()
                })
                .collect(),
            Choice::Leave(_) => vec!["<all>".into()],
        }
    }

    #[test]
    fn a_board_without_a_gpu_opens_only_lavapipe_of_its_architecture() {
        let c = choose(&facts(&[]));
        let Choice::Only(paths, _) = &c else { panic!("{c:?}") };
        assert_eq!(paths.len(), 1, "{paths:?}");
        assert!(
            paths[0]
                .to_string_lossy()
                .contains(&format!("lvp_icd.{}", std::env::consts::ARCH))
        );
    }

    #[test]
    fn a_real_gpu_keeps_its_own_driver_and_lavapipe_as_fallback() {
        assert_eq!(names(&choose(&facts(&["amdgpu"]))), ["radeon", "lvp"]);
        assert_eq!(names(&choose(&facts(&["i915"]))), ["intel", "intel_hasvk", "lvp"]);
        assert_eq!(names(&choose(&facts(&["nvidia"]))), ["nvidia", "lvp"]);
        assert_eq!(
            names(&choose(&facts(&["i915", "amdgpu"]))),
            ["intel", "intel_hasvk", "radeon", "lvp"]
        );
        // A GPU without a Vulkan driver (Raspberry Pi 3's vc4): lavapipe, as before.
        assert_eq!(names(&choose(&facts(&["vc4"]))), ["lvp"]);
        // A driver not installed adds nothing and breaks nothing.
        assert_eq!(names(&choose(&facts(&["v3d"]))), ["lvp"]);
    }

    #[test]
    fn an_unknown_gpu_leaves_every_driver_to_the_loader() {
        assert_eq!(names(&choose(&facts(&["newgpu"]))), ["<all>"]);
        assert_eq!(names(&choose(&facts(&["amdgpu", "unknown"]))), ["<all>"]);
    }

    #[test]
    fn the_operator_decides_over_the_automatic_choice() {
        let with = |s: &str| Facts {
            setting: Some(s.into()),
            ..facts(&[])
        };
        assert_eq!(names(&choose(&with("all"))), ["<all>"]);
        assert_eq!(names(&choose(&with("auto"))), ["lvp"]);
        assert_eq!(names(&choose(&with("radeon, lvp"))), ["radeon", "lvp"]);
        assert_eq!(
            choose(&with("/opt/icd/my_icd.json")),
            Choice::Only(
                vec!["/opt/icd/my_icd.json".into()],
                format!("{ENV}=/opt/icd/my_icd.json")
            )
        );
        // A typo never leaves the board without a driver.
        assert_eq!(names(&choose(&with("lvpp"))), ["<all>"]);
        // The loader's own variables win over everything.
        let f = Facts {
            loader_vars: vec!["VK_ICD_FILENAMES".into()],
            ..with("lvp")
        };
        assert_eq!(names(&choose(&f)), ["<all>"]);
    }

    #[test]
    fn nothing_known_installed_leaves_the_loader_alone() {
        let f = Facts {
            manifests: vec![PathBuf::from("/usr/share/vulkan/icd.d/other_icd.json")],
            ..Facts::default()
        };
        assert_eq!(names(&choose(&f)), ["<all>"]);
    }

    #[test]
    fn manifest_names_parse() {
        assert_eq!(
            manifest_name(Path::new("/x/lvp_icd.x86_64.json")),
            Some(("lvp", Some("x86_64")))
        );
        assert_eq!(manifest_name(Path::new("/x/nvidia_icd.json")), Some(("nvidia", None)));
        assert_eq!(manifest_name(Path::new("/x/README")), None);
    }
}
