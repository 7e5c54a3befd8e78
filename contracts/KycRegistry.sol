// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IKycRegistry} from "./interfaces/IKycRegistry.sol";

/// @title KycRegistry
/// @notice Who may sell or invest on Hundi. One storage slot per account.
contract KycRegistry is IKycRegistry, AccessControl, Pausable {
    /// @inheritdoc IKycRegistry
    uint8 public constant SME = 1;
    /// @inheritdoc IKycRegistry
    uint8 public constant INVESTOR = 2;
    /// @inheritdoc IKycRegistry
    bytes32 public constant KYC_OFFICER_ROLE = keccak256("KYC_OFFICER_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    struct Entry {
        uint8 roles;
        uint64 validUntil;
    }

    mapping(address account => Entry) private _entries;

    constructor(address admin) {
        require(admin != address(0), ZeroAddress());
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IKycRegistry
    function setKyc(address account, uint8 roles, uint64 validUntil) external onlyRole(KYC_OFFICER_ROLE) {
        // A pause stops new grants, never a revocation: in an incident the officer must still be able to cut off
        // a compromised or sanctioned account.
        require(roles == 0 || !paused(), EnforcedPause());
        require(account != address(0), ZeroAddress());
        require(roles & ~(SME | INVESTOR) == 0, InvalidRoles(roles));
        _entries[account] = Entry(roles, validUntil);
        emit KycUpdated(account, roles, validUntil);
    }

    /// @inheritdoc IKycRegistry
    function isAllowed(address account, uint8 role) external view returns (bool) {
        Entry memory e = _entries[account];
        return role != 0 && e.roles & role == role && block.timestamp < e.validUntil;
    }

    /// @inheritdoc IKycRegistry
    function kycOf(address account) external view returns (uint8 roles, uint64 validUntil) {
        Entry memory e = _entries[account];
        return (e.roles, e.validUntil);
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }
}
