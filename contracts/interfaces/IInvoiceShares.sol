// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IInvoiceShares
/// @notice ERC-1155 investor shares: id = invoiceId, 1 share = 1 base unit of principal funded.
/// @dev Only the escrow mints (on funding) and burns (on refund), so `totalSupply(id)` equals the principal raised.
///      Transfers are allowed only between KYC'd investors, which makes a secondary market possible. Every transfer
///      checkpoints the distributor, so a transfer neither creates nor destroys claimable value.
///      Each position also stores how much its holder has withdrawn from the distributor, packed beside the
///      balance: a claim then updates a warm, non-zero slot instead of writing a fresh one.
interface IInvoiceShares {
    struct Position {
        uint128 balance;
        uint128 withdrawn;
    }

    error NotKycApproved(address account, uint8 role);
    error NotEscrow(address caller);
    error NotDistributor(address caller);
    error ZeroAddress();

    /// @notice Mints `amount` shares of `invoiceId` to `to`. Escrow only.
    function mint(address to, uint256 invoiceId, uint128 amount) external;
    /// @notice Burns all of `from`'s shares of `invoiceId` and returns how many. Escrow only.
    function burnAll(address from, uint256 invoiceId) external returns (uint128 amount);
    /// @notice Records `holder`'s cumulative withdrawn amount for `invoiceId`. Distributor only.
    function setWithdrawn(uint256 invoiceId, address holder, uint128 withdrawn) external;

    function totalSupply(uint256 invoiceId) external view returns (uint256);
    function positionOf(uint256 invoiceId, address holder) external view returns (Position memory);
    function escrow() external view returns (address);
    function distributor() external view returns (address);
}
