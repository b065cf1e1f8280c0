fn main() {
    napi_build::setup();
    // Let the addon find pjproject's shared libraries where the build found
    // them, also when they live outside the loader's default paths.
    println!("cargo:rerun-if-env-changed=DEP_PJPROJECT_LIB_DIRS");
    let elf = matches!(
        std::env::var("CARGO_CFG_TARGET_OS").as_deref(),
        Ok("linux" | "freebsd")
    );
    if let Ok(dirs) = std::env::var("DEP_PJPROJECT_LIB_DIRS") {
        // On ELF systems, a DT_RPATH rather than the default DT_RUNPATH: a
        // runpath serves only the addon's own NEEDED entries, so pjsua's
        // dependencies (libpjsip-ua, ...) would come from the loader's
        // default paths, from another pjproject when two are installed,
        // and the mixed versions abort in pjsip's assertions.
        if elf {
            println!("cargo:rustc-link-arg-cdylib=-Wl,--disable-new-dtags");
        }
        for dir in std::env::split_paths(&dirs) {
            println!("cargo:rustc-link-arg-cdylib=-Wl,-rpath,{}", dir.display());
        }
    }
}
