// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IOracleHub} from "./IOracleHub.sol";

/// @title IRepaymentDistributor
/// @notice Takes the buyer's repayments (on-chain, or bank payments reported by the oracle) and lets share holders
///         pull their pro-rata part.
/// @dev Repayments count toward `faceValue`; reaching it moves a Funded invoice to Repaid, and anything above it goes
///      to the seller. The yield fee (basis points, at most 2000, snapshotted at listing) is charged only on the part
///      of the repayments above the principal. Distribution tracks the cumulative net repaid per invoice, with
///      per-holder corrections written on share transfers, so every call costs the same whatever the number of
///      investors. The grace period is the one fixed at listing. Once dueDate + gracePeriod has passed unpaid anyone can mark the invoice Defaulted; late
///      recoveries are still distributed. Rounding always favours the protocol: a holder's dust is below one base
///      unit, so what is left after everyone claimed is below the number of holders. Accounting never reads
///      `balanceOf`, so a donation changes nothing. Claims are never paused.
interface IRepaymentDistributor {
    enum BookState {
        None,
        Funded,
        Repaid,
        Defaulted
    }

    struct Book {
        uint128 principal;
        uint128 faceValue;
        uint128 repaid;
        uint64 dueDate;
        uint16 yieldFeeBps;
        BookState state;
        uint32 gracePeriod;
        address seller;
    }

    event RepaymentReceived(
        uint256 indexed invoiceId, address indexed payer, uint128 amount, uint128 totalRepaid, bytes32 bankRef
    );
    event InvoiceRepaid(uint256 indexed invoiceId, uint128 totalRepaid);
    event InvoiceDefaulted(uint256 indexed invoiceId, uint128 outstanding);
    event Claimed(uint256 indexed invoiceId, address indexed investor, uint128 amount);
    event AutoPayoutSet(address indexed investor, bool enabled);
    event YieldFeeCharged(uint256 indexed invoiceId, uint128 fee);
    event SurplusPaid(uint256 indexed invoiceId, address indexed seller, uint128 amount);
    event YieldFeeUpdated(uint16 yieldFeeBps);
    event GracePeriodUpdated(uint64 gracePeriod);
    event TreasuryUpdated(address treasury);

    error ZeroAmount();
    error ZeroAddress();
    error InvoiceNotRepayable(uint256 invoiceId, BookState state);
    error NotDefaultable(uint256 invoiceId, BookState state);
    error GracePeriodNotOver(uint256 invoiceId, uint256 defaultableAfter);
    error NothingToClaim(uint256 invoiceId, address investor);
    error FeeTooHigh(uint16 yieldFeeBps, uint16 maxYieldFeeBps);
    error GracePeriodTooLong(uint64 gracePeriod, uint64 maxGracePeriod);
    error NotEscrow(address caller);
    error NotShares(address caller);

    /// @notice Repays `amount` of `invoiceId` from the caller (typically the buyer).
    function repay(uint256 invoiceId, uint128 amount) external;

    /// @notice Counts a bank repayment reported by the oracle: has the hub verify and consume `r`, then takes
    ///         `r.amount` from the caller. COLLECTOR_ROLE only.
    function settleRepayment(IOracleHub.Repayment calldata r, bytes[] calldata signatures) external;

    /// @notice Marks a Funded invoice Defaulted once dueDate + gracePeriod has passed. Anyone may call.
    function markDefaulted(uint256 invoiceId) external;

    /// @notice What `investor` can claim now for `invoiceId`.
    function claimable(uint256 invoiceId, address investor) external view returns (uint256);
    /// @notice Pays the caller everything claimable for `invoiceId`.
    function claim(uint256 invoiceId) external;
    /// @notice `claim` over several invoices; ids with nothing to claim are skipped.
    function claimMany(uint256[] calldata ids) external;
    /// @notice Opts the caller in or out of keeper payouts.
    function setAutoPayout(bool enabled) external;
    /// @notice Pays each opted-in investor in `investors` to their own address; others are skipped. Anyone may call.
    function claimFor(uint256 invoiceId, address[] calldata investors) external;
    function autoPayoutOf(address investor) external view returns (bool);

    /// @notice Called by the escrow on the completing fill with the terms fixed at listing.
    function onFunded(uint256 invoiceId, uint128 principal, uint16 listingYieldFeeBps, uint32 listingGracePeriod)
        external;
    /// @notice Called by the shares contract for every transfer between holders (after balances moved; the
    ///         checkpoint depends only on the amount).
    function onSharesTransferred(uint256 invoiceId, address from, address to, uint256 amount) external;

    function bookOf(uint256 invoiceId) external view returns (Book memory);
    /// @notice The cumulative amount repaid to `invoiceId`'s holders, after the yield fee.
    function netDistributed(uint256 invoiceId) external view returns (uint256);
    /// @notice When `markDefaulted` becomes possible (0 if the invoice is not Funded).
    function defaultableAfter(uint256 invoiceId) external view returns (uint256);

    function setYieldFee(uint16 newYieldFeeBps) external;
    function setGracePeriod(uint64 newGracePeriod) external;
    function setTreasury(address newTreasury) external;
    function yieldFeeBps() external view returns (uint16);
    function gracePeriod() external view returns (uint64);
    function treasury() external view returns (address);
    function MAX_YIELD_FEE_BPS() external view returns (uint16);
}
