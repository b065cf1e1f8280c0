//! Finds the system pjproject and compiles the C++ shim over pjsua2. The
//! Rust bindings of the shim's C header are shipped (src/bindings.rs), so an
//! install needs no libclang; the `buildtime_bindgen` feature regenerates
//! them, and with `PJSIP_SYS_UPDATE_BINDINGS=1` writes them back.
//!
//! Discovery order: `PJPROJECT_LIB_DIR` + `PJPROJECT_INCLUDE_DIR`, then
//! pkg-config `libpjproject`, then one actionable error.

use std::env;
use std::path::PathBuf;

const MIN_VERSION: &str = "2.12";
const MAX_VERSION: &str = "3.0";
/// The link order pjproject's own pkg-config file gives.
const PJ_LIBS: &[&str] = &[
    "pjsua2",
    "pjsua",
    "pjsip-ua",
    "pjsip-simple",
    "pjsip",
    "pjmedia-codec",
    "pjmedia-videodev",
    "pjmedia-audiodev",
    "pjmedia",
    "pjnath",
    "pjlib-util",
    "pj",
];

struct Pjproject {
    include_dirs: Vec<PathBuf>,
    lib_dirs: Vec<PathBuf>,
    defines: Vec<(String, Option<String>)>,
}

fn env_var(name: &str) -> Option<String> {
    println!("cargo:rerun-if-env-changed={name}");
    env::var(name).ok().filter(|v| !v.is_empty())
}

fn from_explicit_dirs() -> Option<Pjproject> {
    let lib_dir = env_var("PJPROJECT_LIB_DIR");
    let include_dir = env_var("PJPROJECT_INCLUDE_DIR");
    let (lib_dir, include_dir) = match (lib_dir, include_dir) {
        (Some(l), Some(i)) => (PathBuf::from(l), PathBuf::from(i)),
        (None, None) => return None,
        _ => fail("PJPROJECT_LIB_DIR and PJPROJECT_INCLUDE_DIR must be set together."),
    };
    println!("cargo:rustc-link-search=native={}", lib_dir.display());
    for lib in PJ_LIBS {
        println!("cargo:rustc-link-lib=dylib={lib}");
    }
    println!("cargo:rustc-link-lib=dylib=stdc++");
    let little_endian = env::var("CARGO_CFG_TARGET_ENDIAN").as_deref() != Ok("big");
    Some(Pjproject {
        include_dirs: vec![include_dir],
        lib_dirs: vec![lib_dir],
        defines: vec![
            ("PJ_AUTOCONF".into(), Some("1".into())),
            (
                "PJ_IS_BIG_ENDIAN".into(),
                Some(u8::from(!little_endian).to_string()),
            ),
            (
                "PJ_IS_LITTLE_ENDIAN".into(),
                Some(u8::from(little_endian).to_string()),
            ),
        ],
    })
}

fn from_pkg_config() -> Result<Pjproject, pkg_config::Error> {
    let lib = pkg_config::Config::new()
        .range_version(MIN_VERSION..MAX_VERSION)
        .probe("libpjproject")?;
    Ok(Pjproject {
        include_dirs: lib.include_paths,
        lib_dirs: lib.link_paths,
        defines: lib.defines.into_iter().collect(),
    })
}

/// Says why pkg-config's probe failed, in one line.
fn missing_reason() -> String {
    let any_version = pkg_config::Config::new()
        .cargo_metadata(false)
        .env_metadata(false)
        .probe("libpjproject");
    match any_version {
        Ok(lib) => format!(
            "pkg-config found libpjproject {}, outside the supported range {MIN_VERSION} to {MAX_VERSION}.",
            lib.version
        ),
        Err(_) => "pkg-config found no libpjproject (no libpjproject.pc in its search path).".into(),
    }
}

/// Stops the build with one message: what is missing and how to fix it.
fn fail(reason: &str) -> ! {
    eprintln!(
        "\n\nsipster needs pjproject (pjsua2) {MIN_VERSION} or newer, built with shared libraries.\n\
         {reason}\n\n\
         Install it:\n\
         \x20 Fedora:          dnf install pjproject-devel\n\
         \x20 Alpine:          apk add pjproject-dev\n\
         \x20 macOS, Homebrew: brew install pjproject\n\
         \x20 Debian, Ubuntu:  no package; build it from source (sipster's docs/pjproject.md):\n\
         \x20   apt-get install libssl-dev libopus-dev uuid-dev\n\
         \x20   ./configure --enable-shared && make dep && make && make install && ldconfig\n\n\
         Then either make `pkg-config --modversion libpjproject` work (set PKG_CONFIG_PATH to the\n\
         folder holding libpjproject.pc), or point the build at it directly with\n\
         PJPROJECT_LIB_DIR=<dir with libpjsua2.so> and PJPROJECT_INCLUDE_DIR=<dir with pjsua2.hpp>.\n\n"
    );
    std::process::exit(1);
}

fn main() {
    // The shim: one C header, internal headers, one .cpp per concern.
    println!("cargo:rerun-if-changed=shim");
    let mut shim_sources: Vec<PathBuf> = std::fs::read_dir("shim")
        .expect("pjsip-sys/shim")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "cpp"))
        .collect();
    shim_sources.sort();

    let pj = match from_explicit_dirs() {
        Some(pj) => pj,
        None => match from_pkg_config() {
            Ok(pj) => pj,
            Err(_) => fail(&missing_reason()),
        },
    };

    // The root crate puts these on the addon's rpath.
    let lib_dirs: Vec<String> = pj
        .lib_dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    println!(
        "cargo:lib_dirs={}",
        env::join_paths(&lib_dirs).unwrap().to_string_lossy()
    );

    let mut build = cc::Build::new();
    build
        .cpp(true)
        .std("c++11")
        .files(&shim_sources)
        .warnings(true)
        .flag_if_supported("-Wno-unused-parameter");
    for dir in &pj.include_dirs {
        build.include(dir);
    }
    for (name, value) in &pj.defines {
        build.define(name, value.as_deref());
    }
    build.compile("sipster_shim");

    #[cfg(feature = "buildtime_bindgen")]
    generate_bindings();
}

/// bindgen over shim/sipster.h into OUT_DIR (and src/bindings.rs when asked).
#[cfg(feature = "buildtime_bindgen")]
fn generate_bindings() {
    let bindings = bindgen::Builder::default()
        .header("shim/sipster.h")
        .allowlist_function("sipster_.*")
        .allowlist_type("sipster_.*")
        .allowlist_var("SIPSTER_.*")
        .prepend_enum_name(false)
        .rustified_enum("sipster_event_kind")
        .rustified_enum("sipster_pcm_direction")
        .generate_comments(true)
        .layout_tests(false)
        .generate()
        .expect("bindgen could not read shim/sipster.h (is libclang installed?)");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap()).join("bindings.rs");
    bindings
        .write_to_file(&out)
        .expect("could not write the bindings");
    if env_var("PJSIP_SYS_UPDATE_BINDINGS").is_some() {
        std::fs::copy(&out, "src/bindings.rs").expect("could not update src/bindings.rs");
    }
}
