fn main() {
    napi_build::setup();
    // Let the addon find pjproject's shared libraries where the build found
    // them, also when they live outside the loader's default paths.
    println!("cargo:rerun-if-env-changed=DEP_PJPROJECT_LIB_DIRS");
    if let Ok(dirs) = std::env::var("DEP_PJPROJECT_LIB_DIRS") {
        for dir in std::env::split_paths(&dirs) {
            println!("cargo:rustc-link-arg-cdylib=-Wl,-rpath,{}", dir.display());
        }
    }
}
