// SPDX-License-Identifier: GPL-2.0

//! A sysfs directory (a kobject) whose attribute files are a Rust trait.
//!
//! The directory holds an `Arc<T>` to its owner until the kobject is
//! released, so `show` and `store` always find the owner's memory; whether
//! the owner is still in use is for `T` to decide (md answers `EBUSY` for a
//! deleted array).

use super::{disk::DiskOps, disk::GenDisk, live};
use core::{fmt, marker::PhantomData, ptr::NonNull};
use kernel::{
    bindings, c_str, error::from_result, prelude::*, str::CStr, sync::Arc, types::Opaque,
};

/// One attribute file: its name and mode.
pub(crate) struct Attr {
    /// File name.
    pub(crate) name: &'static CStr,
    /// Permissions, e.g. `0o644`.
    pub(crate) mode: u16,
}

/// The attribute files of a directory owned by `Self`.
pub(crate) trait SysfsOps: Sized + Send + Sync + 'static {
    /// The files, in the order `index` refers to them below.
    const ATTRS: &'static [Attr];
    /// Files that exist only at times ([`SysfsDir::set_optional`]), indexed
    /// after `ATTRS` (md's redundancy group of a running raid1).
    const OPTIONAL: &'static [Attr] = &[];
    /// Reads attribute `index` into `out`.
    fn show(this: &Arc<Self>, index: usize, out: &mut SysfsOut) -> Result;
    /// Writes `input` to attribute `index`.
    fn store(this: &Arc<Self>, index: usize, input: &[u8]) -> Result;
}

/// The page a `show` fills.
///
/// # Invariants
///
/// `buf` is writable for `PAGE_SIZE` bytes, of which `len` are written.
pub(crate) struct SysfsOut {
    buf: *mut u8,
    len: usize,
}

impl fmt::Write for SysfsOut {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let room = kernel::page::PAGE_SIZE - self.len;
        if s.len() > room {
            return Err(fmt::Error);
        }
        // SAFETY: `buf` has room for `s` after `len` bytes (type invariant
        // and the check above).
        unsafe { core::ptr::copy_nonoverlapping(s.as_ptr(), self.buf.add(self.len), s.len()) };
        self.len += s.len();
        Ok(())
    }
}

/// The lock class of every attribute of our directories: lockdep wants a
/// static key for attributes that live on the heap.
#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
struct AttrKey(Opaque<bindings::lock_class_key>);
// SAFETY: lockdep only uses the key's address.
#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
unsafe impl Sync for AttrKey {}
#[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
static ATTR_KEY: AttrKey = AttrKey(Opaque::uninit());

/// The kobject and what hangs off it, in one allocation.
#[repr(C)]
struct DirInner<T: SysfsOps> {
    kobj: Opaque<bindings::kobject>,
    attrs: KVec<Opaque<bindings::attribute>>,
    owner: Arc<T>,
}

struct VTable<T: SysfsOps>(PhantomData<T>);

impl<T: SysfsOps> VTable<T> {
    const SYSFS_OPS: bindings::sysfs_ops = bindings::sysfs_ops {
        show: Some(show_callback::<T>),
        store: Some(store_callback::<T>),
    };
    const KTYPE: bindings::kobj_type = bindings::kobj_type {
        release: Some(release_callback::<T>),
        sysfs_ops: &Self::SYSFS_OPS,
        // SAFETY: all-zero is valid for the remaining fields (no default
        // groups, no namespaces, no ownership hook).
        ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
    };
}

/// # Safety
///
/// `kobj` is the kobject of a live `DirInner<T>`.
unsafe fn inner<'a, T: SysfsOps>(kobj: *mut bindings::kobject) -> &'a DirInner<T> {
    // SAFETY: `kobj` is the first field of a `DirInner<T>` (repr(C)), live
    // while sysfs calls into it.
    unsafe { &*kernel::container_of!(kobj, DirInner<T>, kobj) }
}

fn attr_index<T: SysfsOps>(inner: &DirInner<T>, attr: *mut bindings::attribute) -> Option<usize> {
    inner.attrs.iter().position(|a| a.get() == attr)
}

/// # Safety
///
/// Called by sysfs for an attribute of a live directory of type `T`, with a
/// page-sized buffer.
unsafe extern "C" fn show_callback<T: SysfsOps>(
    kobj: *mut bindings::kobject,
    attr: *mut bindings::attribute,
    buf: *mut u8,
) -> isize {
    // SAFETY: sysfs holds the file active, so the directory is live.
    let inner = unsafe { inner::<T>(kobj) };
    // INVARIANT: sysfs passes a PAGE_SIZE buffer.
    let mut out = SysfsOut { buf, len: 0 };
    from_result(|| {
        let index = attr_index(inner, attr).ok_or(EIO)?;
        T::show(&inner.owner, index, &mut out)?;
        Ok(out.len as isize)
    })
}

/// # Safety
///
/// Called by sysfs for an attribute of a live directory of type `T`, with
/// `count` readable bytes at `buf`.
unsafe extern "C" fn store_callback<T: SysfsOps>(
    kobj: *mut bindings::kobject,
    attr: *mut bindings::attribute,
    buf: *const u8,
    count: usize,
) -> isize {
    // SAFETY: sysfs holds the file active, so the directory is live.
    let inner = unsafe { inner::<T>(kobj) };
    // SAFETY: sysfs passes `count` readable bytes.
    let input = unsafe { core::slice::from_raw_parts(buf, count) };
    from_result(|| {
        let index = attr_index(inner, attr).ok_or(EIO)?;
        T::store(&inner.owner, index, input)?;
        Ok(count as isize)
    })
}

/// # Safety
///
/// Called once, when the last reference to the kobject of a `DirInner<T>`
/// allocated by [`SysfsDir::new`] is dropped.
unsafe extern "C" fn release_callback<T: SysfsOps>(kobj: *mut bindings::kobject) {
    // SAFETY: the allocation came from `KBox::into_raw` in `SysfsDir::new`
    // and nothing uses it any more.
    drop(unsafe {
        KBox::from_raw(kernel::container_of!(kobj, DirInner<T>, kobj) as *mut DirInner<T>)
    });
    live::released();
}

/// A kobject a symbolic link may point at, borrowed for as long as the
/// link is made.
pub(crate) struct LinkTarget<'a> {
    kobj: *mut bindings::kobject,
    _target: PhantomData<&'a ()>,
}

impl<'a> LinkTarget<'a> {
    /// A member device's directory (md's `dev-<member>/block`).
    pub(crate) fn member(member: &'a super::member::MemberDev) -> Self {
        Self {
            kobj: member.kobject_ptr(),
            _target: PhantomData,
        }
    }
}

/// A sysfs directory owned by `T`, removed on drop.
///
/// # Invariants
///
/// `inner` is a `DirInner<T>` whose kobject was added to sysfs, and this
/// value holds the reference from `kobject_init`.
pub(crate) struct SysfsDir<T: SysfsOps> {
    inner: NonNull<DirInner<T>>,
}

// SAFETY: kobjects may be used and released from any thread.
unsafe impl<T: SysfsOps> Send for SysfsDir<T> {}
// SAFETY: `&SysfsDir` gives no access to the kobject.
unsafe impl<T: SysfsOps> Sync for SysfsDir<T> {}

impl<T: SysfsOps> SysfsDir<T> {
    /// Creates the directory `name` under the device directory of `disk`,
    /// with `T::ATTRS`, owned by `owner`.
    pub(crate) fn new_in_disk<D: DiskOps>(
        disk: &GenDisk<D>,
        name: &CStr,
        owner: Arc<T>,
    ) -> Result<Self> {
        Self::new(disk.device_kobject(), name, owner)
    }

    /// Creates the directory `name` under `parent`, with `T::ATTRS`, owned
    /// by `owner` (md's `dev-<member>/` under `md/`).
    pub(crate) fn new_child<P: SysfsOps>(
        parent: &SysfsDir<P>,
        name: &CStr,
        owner: Arc<T>,
    ) -> Result<Self> {
        Self::new(parent.kobject(), name, owner)
    }

    fn kobject(&self) -> *mut bindings::kobject {
        // SAFETY: the kobject is live while we hold our reference.
        unsafe { (*self.inner.as_ptr()).kobj.get() }
    }

    /// This directory as the target of a link.
    pub(crate) fn as_link_target(&self) -> LinkTarget<'_> {
        LinkTarget {
            kobj: self.kobject(),
            _target: PhantomData,
        }
    }

    /// Creates the symbolic link `name` in this directory to `target`; it
    /// goes with the directory or with [`SysfsDir::remove_link`].
    pub(crate) fn create_link(&self, name: &CStr, target: LinkTarget<'_>) -> Result {
        // SAFETY: both kobjects are live (ours, and `target`'s borrow).
        kernel::error::to_result(unsafe {
            bindings::sysfs_create_link(self.kobject(), target.kobj, name.as_char_ptr())
        })
    }

    /// Removes the link `name` made by [`SysfsDir::create_link`], if any.
    pub(crate) fn remove_link(&self, name: &CStr) {
        // SAFETY: our kobject is live; a missing link is ignored.
        unsafe { bindings::sysfs_remove_link(self.kobject(), name.as_char_ptr()) };
    }

    /// Creates (`true`) or removes the files of `T::OPTIONAL`.
    pub(crate) fn set_optional(&self, present: bool) -> Result {
        let kobj = self.kobject();
        // SAFETY: the directory is live while we hold our reference.
        let attrs = unsafe { &(*self.inner.as_ptr()).attrs };
        for attr in attrs.iter().skip(T::ATTRS.len()) {
            if present {
                // SAFETY: `kobj` is in sysfs and `attr` lives as long as it;
                // an existing file gives EEXIST, which is fine.
                let ret =
                    unsafe { bindings::sysfs_create_file_ns(kobj, attr.get(), core::ptr::null()) };
                if ret != 0 && ret != -(bindings::EEXIST as i32) {
                    return Err(Error::from_errno(ret));
                }
            } else {
                // SAFETY: as above; a missing file is ignored.
                unsafe { bindings::sysfs_remove_file_ns(kobj, attr.get(), core::ptr::null()) };
            }
        }
        Ok(())
    }

    /// Tells pollers of attribute `index` that it changed
    /// (`sysfs_notify`; mdadm --monitor waits on `array_state`).
    pub(crate) fn notify(&self, index: usize) {
        if let Some(a) = Iterator::chain(T::ATTRS.iter(), T::OPTIONAL).nth(index) {
            // SAFETY: our kobject is live; the name is NUL-terminated.
            unsafe {
                bindings::sysfs_notify(self.kobject(), core::ptr::null(), a.name.as_char_ptr())
            };
        }
    }

    fn new(parent: *mut bindings::kobject, name: &CStr, owner: Arc<T>) -> Result<Self> {
        let mut attrs = KVec::with_capacity(T::ATTRS.len() + T::OPTIONAL.len(), GFP_KERNEL)?;
        for a in Iterator::chain(T::ATTRS.iter(), T::OPTIONAL) {
            // Without lockdep the fields above are all there is.
            #[allow(clippy::needless_update)]
            let attr = Opaque::new(bindings::attribute {
                name: a.name.as_char_ptr(),
                mode: a.mode,
                #[cfg(CONFIG_DEBUG_LOCK_ALLOC)]
                key: ATTR_KEY.0.get(),
                // SAFETY: all-zero is valid for the rest of the attribute.
                ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
            });
            attrs.push(attr, GFP_KERNEL)?;
        }
        let raw = KBox::into_raw(KBox::new(
            DirInner {
                kobj: Opaque::uninit(),
                attrs,
                owner,
            },
            GFP_KERNEL,
        )?);
        let inner = NonNull::new(raw).ok_or(ENOMEM)?;
        // SAFETY: `raw` is a fresh allocation; `kobject_init` wants zeroed
        // memory and takes the first reference, which `release` frees.
        let kobj = unsafe { (*raw).kobj.get() };
        // SAFETY: as above.
        unsafe { core::ptr::write_bytes(kobj, 0, 1) };
        live::track();
        // SAFETY: `kobj` is zeroed, the ktype is static, `parent` is a live
        // kobject and the format takes the one NUL-terminated argument.
        let ret = unsafe {
            bindings::kobject_init_and_add(
                kobj,
                &VTable::<T>::KTYPE,
                parent,
                c_str!("%s").as_char_ptr(),
                name.as_char_ptr(),
            )
        };
        if ret != 0 {
            // SAFETY: on failure the reference from `kobject_init` must still
            // be put; `release` frees `raw`.
            unsafe { bindings::kobject_put(kobj) };
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: added; our reference is the one from `kobject_init`.
        let dir = Self { inner };
        // SAFETY: `raw` is live while `dir` holds its reference.
        for attr in unsafe { (*raw).attrs.iter().take(T::ATTRS.len()) } {
            // SAFETY: `kobj` is in sysfs and `attr` lives as long as it.
            let ret =
                unsafe { bindings::sysfs_create_file_ns(kobj, attr.get(), core::ptr::null()) };
            if ret != 0 {
                return Err(Error::from_errno(ret));
            }
        }
        // SAFETY: `kobj` is in sysfs.
        unsafe { bindings::kobject_uevent(kobj, bindings::kobject_action_KOBJ_ADD) };
        Ok(dir)
    }
}

impl<T: SysfsOps> Drop for SysfsDir<T> {
    fn drop(&mut self) {
        // SAFETY: the kobject is live while we hold our reference.
        let kobj = unsafe { (*self.inner.as_ptr()).kobj.get() };
        // SAFETY: removes the directory, waiting for `show`/`store` calls in
        // progress, then drops our reference; `release` frees the rest.
        unsafe {
            bindings::kobject_del(kobj);
            bindings::kobject_put(kobj);
        }
    }
}
