// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IFundingEscrow
/// @notice The marketplace: sellers list Verified invoices at a discount, investors fund them, and the fill that
///         completes the price pays the seller in the same transaction.
/// @dev Terms fixed at listing: the platform fee, the yield fee and the grace period after the due date, so later
///      admin changes never touch an open listing or a funded invoice. Who holds what: while Listed, the escrow holds the NFT and every investor's stablecoin (`raised`). On the
///      completing fill it pays `price - fee` to the seller and `fee` to the treasury and keeps nothing. After a
///      cancel it holds the unrefunded principal until each investor calls `refund`. Investors receive InvoiceShares
///      (ERC-1155, id = invoiceId, 1 share = 1 base unit of principal). The platform fee is snapshotted at listing,
///      so later fee changes never touch an open listing.
interface IFundingEscrow {
    enum ListingState {
        None,
        Open,
        Funded,
        Cancelled
    }

    struct Listing {
        uint128 price;
        uint128 raised;
        uint128 minTicket;
        uint64 fundingDeadline;
        uint16 feeBps;
        uint16 yieldFeeBps;
        ListingState state;
        address seller;
        uint32 gracePeriod;
    }

    event InvoiceListed(
        uint256 indexed invoiceId,
        address indexed seller,
        uint128 price,
        uint128 faceValue,
        uint64 dueDate,
        uint64 fundingDeadline,
        uint128 minTicket
    );
    event Invested(uint256 indexed invoiceId, address indexed investor, uint128 amount, uint128 raised);
    event InvoiceFunded(uint256 indexed invoiceId, uint128 price, uint128 fee);
    event ListingCancelled(uint256 indexed invoiceId);
    event Refunded(uint256 indexed invoiceId, address indexed investor, uint128 amount);
    event FeeUpdated(uint16 feeBps);
    event TreasuryUpdated(address treasury);

    error NotKycApproved(address account, uint8 role);
    error NotSeller(uint256 invoiceId, address caller);
    error InvoiceNotVerified(uint256 invoiceId, uint8 status);
    error InvalidPrice(uint128 price, uint128 faceValue);
    error InvalidFundingDeadline(uint64 fundingDeadline, uint256 blockTimestamp, uint64 dueDate);
    error ListingNotOpen(uint256 invoiceId, ListingState state);
    error FundingClosed(uint256 invoiceId, uint64 fundingDeadline);
    error ZeroAmount();
    error AmountBelowMinTicket(uint128 amount, uint128 minTicket);
    error AmountExceedsRemaining(uint128 amount, uint128 remaining);
    error CancelNotAllowed(uint256 invoiceId, address caller);
    error ListingNotCancelled(uint256 invoiceId, ListingState state);
    error NothingToRefund(uint256 invoiceId, address investor);
    error FeeTooHigh(uint16 feeBps, uint16 maxFeeBps);
    error ZeroAddress();

    /// @notice Lists a Verified invoice. Only its seller, who must still be a KYC'd SME. Requires 0 < price < faceValue
    ///         and now < fundingDeadline < dueDate. Takes custody of the NFT.
    function list(uint256 invoiceId, uint128 price, uint64 fundingDeadline, uint128 minTicket) external;

    /// @notice Funds `amount` of a Listed invoice from the caller, a KYC'd investor, and mints as many shares.
    /// @dev Requires minTicket <= amount <= remaining; an amount equal to the remaining balance is accepted even
    ///      below minTicket. The fill that reaches `price` disburses `price - fee` to the seller and `fee` to the
    ///      treasury.
    function fund(uint256 invoiceId, uint128 amount) external;

    /// @notice `fund` with an EIP-2612 permit instead of a prior approval. The permit is used only when the current
    ///         allowance is short (so an existing approval is never overwritten), and a permit that was front-run
    ///         still funds when the allowance it granted is in place.
    function fundWithPermit(uint256 invoiceId, uint128 amount, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        external;

    /// @notice Cancels a listing: by the seller before any funding, or by anyone once the deadline passed unfilled.
    ///         Returns the NFT to the seller; investors then `refund`. Never paused: it is how investors get their
    ///         money back from a listing that failed.
    function cancel(uint256 invoiceId) external;

    /// @notice After a cancel, burns the caller's shares and returns their principal. Never paused.
    function refund(uint256 invoiceId) external;

    function listingOf(uint256 invoiceId) external view returns (Listing memory);
    /// @notice How much is still needed to fill the listing (0 unless Open).
    function remaining(uint256 invoiceId) external view returns (uint128);

    /// @notice Sets the platform fee on advances, in basis points, at most `MAX_FEE_BPS` (500). Admin only.
    function setFee(uint16 newFeeBps) external;
    function setTreasury(address newTreasury) external;
    function feeBps() external view returns (uint16);
    function treasury() external view returns (address);
    function MAX_FEE_BPS() external view returns (uint16);
}
