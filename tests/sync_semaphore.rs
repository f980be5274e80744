//! Semaphore permits at tokio's shape: owned tries, forgetting free
//! permits, merging and splitting permits.

use std::sync::Arc;

use runtime::sync::{Semaphore, TryAcquireError};

#[test]
fn permits_merge_split_and_are_forgotten() {
    let semaphore = Semaphore::new(5);
    let mut a = semaphore.try_acquire_many(2).unwrap();
    let b = semaphore.try_acquire().unwrap();
    a.merge(b);
    assert_eq!(a.num_permits(), 3);
    let c = a.split(2).unwrap();
    assert_eq!((a.num_permits(), c.num_permits()), (1, 2));
    assert!(a.split(2).is_none(), "cannot split more than it holds");
    assert_eq!(a.num_permits(), 1, "a failed split leaves it whole");
    drop(c);
    assert_eq!(semaphore.available_permits(), 4);
    assert_eq!(semaphore.forget_permits(3), 3);
    assert_eq!(semaphore.available_permits(), 1);
    assert_eq!(semaphore.forget_permits(10), 1, "only the free ones");
    drop(a);
    assert_eq!(semaphore.available_permits(), 1, "a held permit comes back");
}

#[test]
fn owned_permits_try_many_merge_and_split() {
    let semaphore = Arc::new(Semaphore::new(3));
    let mut owned = semaphore.clone().try_acquire_many_owned(2).unwrap();
    assert_eq!(semaphore.clone().try_acquire_many_owned(2).unwrap_err(), TryAcquireError::NoPermits);
    owned.merge(semaphore.clone().try_acquire_owned().unwrap());
    let part = owned.split(1).unwrap();
    assert_eq!((owned.num_permits(), part.num_permits()), (2, 1));
    drop((owned, part));
    assert_eq!(semaphore.available_permits(), 3);
    semaphore.close();
    assert_eq!(semaphore.clone().try_acquire_many_owned(1).unwrap_err(), TryAcquireError::Closed);
}

#[test]
#[should_panic(expected = "merging permits from different semaphore instances")]
fn merging_permits_of_two_semaphores_panics_with_tokios_message() {
    let (one, two) = (Semaphore::new(1), Semaphore::new(1));
    let mut permit = one.try_acquire().unwrap();
    permit.merge(two.try_acquire().unwrap());
}
