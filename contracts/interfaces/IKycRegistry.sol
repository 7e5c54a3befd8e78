// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IKycRegistry
/// @notice Who may act as an SME (seller) or an investor on Hundi, and until when.
/// @dev Roles are a bitmask so that one address can hold both. An entry stops being valid at `validUntil`
///      (inclusive bound: valid while `block.timestamp < validUntil`), so KYC expiry needs no transaction.
interface IKycRegistry {
    /// @notice A KYC entry was written. `roles == 0` revokes.
    event KycUpdated(address indexed account, uint8 roles, uint64 validUntil);

    /// @notice `roles` has bits outside `SME | INVESTOR`.
    error InvalidRoles(uint8 roles);
    /// @notice The zero address cannot be KYC'd.
    error ZeroAddress();

    /// @notice Role bit of sellers.
    function SME() external view returns (uint8);
    /// @notice Role bit of investors.
    function INVESTOR() external view returns (uint8);
    /// @notice The role allowed to write KYC entries.
    function KYC_OFFICER_ROLE() external view returns (bytes32);

    /// @notice Sets `account`'s roles and expiry. Only KYC_OFFICER_ROLE. While paused only revocations (roles 0) pass.
    /// @param account The address checked.
    /// @param roles Bitmask of `SME` and `INVESTOR`; 0 revokes.
    /// @param validUntil Unix time at which the entry expires.
    function setKyc(address account, uint8 roles, uint64 validUntil) external;

    /// @notice Whether `account` holds every bit of `role` and its entry has not expired.
    function isAllowed(address account, uint8 role) external view returns (bool);

    /// @notice The raw entry of `account`.
    function kycOf(address account) external view returns (uint8 roles, uint64 validUntil);
}
