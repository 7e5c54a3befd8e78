// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IFundingEscrow} from "./interfaces/IFundingEscrow.sol";
import {IInvoiceToken} from "./interfaces/IInvoiceToken.sol";
import {IInvoiceShares} from "./interfaces/IInvoiceShares.sol";
import {IKycRegistry} from "./interfaces/IKycRegistry.sol";
import {IRepaymentDistributor} from "./interfaces/IRepaymentDistributor.sol";

/// @title FundingEscrow
/// @notice Lists Verified invoices, takes investors' funds, and settles the advance to the seller on the completing
///         fill. Holds funds only while a listing is open, and refunds after a cancel.
contract FundingEscrow is IFundingEscrow, AccessControl, Pausable, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @inheritdoc IFundingEscrow
    uint16 public constant MAX_FEE_BPS = 500;
    uint256 private constant _BPS = 10_000;
    uint8 private constant _INVESTOR = 2;
    uint8 private constant _SME = 1;

    IERC20 public immutable asset;
    IInvoiceToken public immutable token;
    IInvoiceShares public immutable shares;
    IRepaymentDistributor public immutable distributor;
    IKycRegistry public immutable kyc;

    uint16 private _feeBps;
    address private _treasury;
    mapping(uint256 invoiceId => Listing) private _listings;

    constructor(
        address admin,
        IERC20 settlementAsset,
        IInvoiceToken invoiceToken,
        IInvoiceShares invoiceShares,
        IRepaymentDistributor repaymentDistributor,
        IKycRegistry kycRegistry,
        address treasury_,
        uint16 feeBps_
    ) {
        require(treasury_ != address(0), ZeroAddress());
        require(feeBps_ <= MAX_FEE_BPS, FeeTooHigh(feeBps_, MAX_FEE_BPS));
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        asset = settlementAsset;
        token = invoiceToken;
        shares = invoiceShares;
        distributor = repaymentDistributor;
        kyc = kycRegistry;
        _treasury = treasury_;
        _feeBps = feeBps_;
    }

    /// @inheritdoc IFundingEscrow
    function list(uint256 invoiceId, uint128 price, uint64 fundingDeadline, uint128 minTicket)
        external
        whenNotPaused
        nonReentrant
    {
        IInvoiceToken.Invoice memory inv = token.invoiceOf(invoiceId);
        require(inv.seller == msg.sender, NotSeller(invoiceId, msg.sender));
        // The advance goes to the seller: its KYC must still hold when it offers the invoice.
        require(kyc.isAllowed(msg.sender, _SME), NotKycApproved(msg.sender, _SME));
        require(inv.status == IInvoiceToken.Status.Verified, InvoiceNotVerified(invoiceId, uint8(inv.status)));
        require(price != 0 && price < inv.faceValue, InvalidPrice(price, inv.faceValue));
        require(
            block.timestamp < fundingDeadline && fundingDeadline < inv.dueDate,
            InvalidFundingDeadline(fundingDeadline, block.timestamp, inv.dueDate)
        );
        // The fees and the grace period are fixed for the life of the listing: investors and the seller agreed to
        // these terms.
        _listings[invoiceId] = Listing({
            price: price,
            raised: 0,
            minTicket: minTicket,
            fundingDeadline: fundingDeadline,
            feeBps: _feeBps,
            yieldFeeBps: distributor.yieldFeeBps(),
            state: ListingState.Open,
            seller: msg.sender,
            gracePeriod: uint32(distributor.gracePeriod()) // at most 365 days, see RepaymentDistributor
        });
        emit InvoiceListed(invoiceId, msg.sender, price, inv.faceValue, inv.dueDate, fundingDeadline, minTicket);
        token.transition(invoiceId, IInvoiceToken.Status.Listed); // moves the NFT into this contract
    }

    /// @inheritdoc IFundingEscrow
    function fund(uint256 invoiceId, uint128 amount) external whenNotPaused nonReentrant {
        _fund(invoiceId, amount);
    }

    /// @inheritdoc IFundingEscrow
    function fundWithPermit(uint256 invoiceId, uint128 amount, uint256 permitDeadline, uint8 v, bytes32 r, bytes32 s)
        external
        whenNotPaused
        nonReentrant
    {
        // A permit sets the allowance outright, so it is skipped when the allowance already covers the ticket (an
        // unlimited approval stays). It can be front-run (its signature is public once in the mempool); if it was,
        // the allowance it granted is already there and funding proceeds. Otherwise transferFrom reverts clearly.
        if (asset.allowance(msg.sender, address(this)) < amount) {
            try IERC20Permit(address(asset)).permit(msg.sender, address(this), amount, permitDeadline, v, r, s) {}
                catch {}
        }
        _fund(invoiceId, amount);
    }

    /// @inheritdoc IFundingEscrow
    function cancel(uint256 invoiceId) external nonReentrant {
        Listing storage l = _listings[invoiceId];
        ListingState state = l.state;
        require(state == ListingState.Open, ListingNotOpen(invoiceId, state));
        bool sellerBeforeFunding = msg.sender == l.seller && l.raised == 0;
        require(sellerBeforeFunding || block.timestamp > l.fundingDeadline, CancelNotAllowed(invoiceId, msg.sender));
        l.state = ListingState.Cancelled;
        emit ListingCancelled(invoiceId);
        token.transition(invoiceId, IInvoiceToken.Status.Cancelled); // returns the NFT to the seller
    }

    /// @inheritdoc IFundingEscrow
    function refund(uint256 invoiceId) external nonReentrant {
        ListingState state = _listings[invoiceId].state;
        require(state == ListingState.Cancelled, ListingNotCancelled(invoiceId, state));
        uint128 amount = shares.burnAll(msg.sender, invoiceId);
        require(amount != 0, NothingToRefund(invoiceId, msg.sender));
        emit Refunded(invoiceId, msg.sender, amount);
        asset.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IFundingEscrow
    function listingOf(uint256 invoiceId) external view returns (Listing memory) {
        return _listings[invoiceId];
    }

    /// @inheritdoc IFundingEscrow
    function remaining(uint256 invoiceId) external view returns (uint128) {
        Listing storage l = _listings[invoiceId];
        return l.state == ListingState.Open ? l.price - l.raised : 0;
    }

    /// @inheritdoc IFundingEscrow
    function setFee(uint16 feeBps_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(feeBps_ <= MAX_FEE_BPS, FeeTooHigh(feeBps_, MAX_FEE_BPS));
        _feeBps = feeBps_;
        emit FeeUpdated(feeBps_);
    }

    /// @inheritdoc IFundingEscrow
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(treasury_ != address(0), ZeroAddress());
        _treasury = treasury_;
        emit TreasuryUpdated(treasury_);
    }

    /// @inheritdoc IFundingEscrow
    function feeBps() external view returns (uint16) {
        return _feeBps;
    }

    /// @inheritdoc IFundingEscrow
    function treasury() external view returns (address) {
        return _treasury;
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    function _fund(uint256 invoiceId, uint128 amount) private {
        require(kyc.isAllowed(msg.sender, _INVESTOR), NotKycApproved(msg.sender, _INVESTOR));
        Listing storage l = _listings[invoiceId];
        ListingState state = l.state;
        require(state == ListingState.Open, ListingNotOpen(invoiceId, state));
        uint64 deadline = l.fundingDeadline;
        require(block.timestamp <= deadline, FundingClosed(invoiceId, deadline));
        require(amount != 0, ZeroAmount());
        uint128 price = l.price;
        uint128 raised = l.raised;
        // unchecked: raised < price while Open (the fill that reaches price closes the listing).
        uint128 left;
        unchecked {
            left = price - raised;
        }
        require(amount <= left, AmountExceedsRemaining(amount, left));
        require(amount >= l.minTicket || amount == left, AmountBelowMinTicket(amount, l.minTicket));
        // unchecked: amount <= price - raised, so the sum is at most price.
        unchecked {
            raised += amount;
        }
        l.raised = raised;
        emit Invested(invoiceId, msg.sender, amount, raised);

        asset.safeTransferFrom(msg.sender, address(this), amount);
        if (raised == price) _settle(invoiceId, l, price);
        // Last, once all state is final: the receiver hook of a contract investor runs here.
        shares.mint(msg.sender, invoiceId, amount);
    }

    /// @dev The completing fill: pays the seller the price minus the platform fee (rounded up, in the protocol's
    ///      favour), hands the invoice's terms to the distributor, and marks it Funded.
    function _settle(uint256 invoiceId, Listing storage l, uint128 price) private {
        l.state = ListingState.Funded;
        uint128 fee = uint128(Math.mulDiv(price, l.feeBps, _BPS, Math.Rounding.Ceil));
        emit InvoiceFunded(invoiceId, price, fee);
        token.transition(invoiceId, IInvoiceToken.Status.Funded);
        distributor.onFunded(invoiceId, price, l.yieldFeeBps, l.gracePeriod);
        asset.safeTransfer(l.seller, price - fee);
        if (fee != 0) asset.safeTransfer(_treasury, fee);
    }
}
